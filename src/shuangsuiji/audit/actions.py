"""Every action the log records, by its Chinese name: the name the audit page shows and its
filter accepts (issue 19 §3). The code stays in the log (it is hashed into the chain) and in
``shuangsuiji audit`` on the command line; ``audited`` refuses an action not named here."""

ACTION_NAMES: dict[str, str] = {
    # 单位与用户
    "organisation.create": "新建单位",
    "organisation.update": "修改单位",
    "organisation.preset": "设置政策预设",
    "user.create": "新建用户",
    "user.update": "修改用户及角色",
    "user.set_password": "重设密码",
    # 政策与单位设置
    "policy.adopt": "采用政策预设",
    "policy.update": "采用新版预设原文",
    "policy.adjust": "调整政策取值",
    "settings.update": "修改单位设置",
    # 工作日历
    "calendar.national.day": "修改全国工作日历",
    "calendar.national.year": "确认全国工作日历年度",
    "calendar.local.day": "修改本单位工作日历",
    "calendar.deadlines": "重新计算公示期限",
    # 一单两库
    "register.import": "导入名录",
    "register.import_abandon": "放弃导入",
    "register.save": "保存名录记录",
    "register.remove": "移出名录",
    "register.restore": "恢复名录记录",
    "register.reveal_personal": "查看完整个人信息",
    # 年度计划
    "plan.generate": "生成年度抽查计划",
    "plan.task_update": "修改抽查任务",
    "plan.task_add": "添加抽查任务",
    "plan.submit": "提交审批年度抽查计划",
    "plan.approve": "审批年度抽查计划",
    "plan.return": "退回年度抽查计划",
    "plan.publish": "公开年度抽查计划",
    "plan.adjust": "调整年度抽查计划",
    # 抽取
    "draw.commit": "承诺抽取",
    "draw.execute": "录入随机源并抽取",
    "draw.reveal": "公开抽取名单",
    "draw.abort": "作废抽取",
    "draw.manual_team": "人工指派执法人员",
    "draw.substitute": "替补",
    "conflict.declare": "登记回避",
    # 检查
    "inspection.coverage": "建立全覆盖检查",
    "inspection.targeted": "登记定向检查",
    "inspection.partners": "登记联合部门人员",
    "inspection.part_save": "保存联合部门检查情况",
    "inspection.part_submit": "提交联合部门检查情况",
    "inspection.part_publish": "公示联合部门检查情况",
    "participation.record": "登记参与其他部门联合抽查",
    "inspection.assistant_add": "安排专家或辅助人员",
    "inspection.assistant_remove": "撤下专家或辅助人员",
    "inspection.record": "保存检查记录",
    "inspection.attachment": "上传检查材料",
    "inspection.notice": "出具一次告知书",
    "inspection.result_notice": "出具检查结果告知书",
    "inspection.submit": "提交检查结果",
    "inspection.reopen": "退回检查结果",
    "result.release": "发布公示",
    "follow_up.open": "登记后续处置",
    "follow_up.close": "办结后续处置",
    "revisit.sample": "抽取回访对象",
    "revisit.record": "记录回访",
    # 实施方案文件
    "plan_document.upload": "上传实施方案文件",
    "plan_document.withdraw": "撤回实施方案文件",
    # 数据交换（公示系统、省级平台、信用信息系统）
    "exchange.export": "生成交换批次",
    "exchange.push": "推送交换批次",
    # 统计报送（分局报送市局）
    "upward.submit": "报送统计表和名录调整",
    "upward.return": "退回下级报送",
    "upward.accept": "接收下级报送",
    "upward.deadline": "设置下级报送期限",
}


def action_name(action: str) -> str:
    """The action's Chinese name; an action no longer recorded keeps a Chinese word too."""
    return ACTION_NAMES.get(action, "其他操作")


def actions_named(text: str) -> list[str]:
    """The actions whose Chinese name contains ``text`` (“抽取” → 承诺抽取, 作废抽取 …)."""
    return [code for code, name in ACTION_NAMES.items() if text in name]
