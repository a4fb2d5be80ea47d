"""Policy-engine test records."""

#: Every enumerated register field at its template default; a test states only what differs.
TEMPLATE_DEFAULTS = {
    "对象类型": "排污单位",
    "排污许可管理类别": "无",
    "重点排污单位": "否",
    "正面清单": "否",
    "大气绩效评级": "无",
    "信用等级": "无",
    "具备非现场监管条件": "否",
    "其他高风险": "否",
    "经营状态": "存续",
}
