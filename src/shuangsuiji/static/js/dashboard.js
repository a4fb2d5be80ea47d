// Draws the dashboard's charts from the JSON the page embeds (no inline script, no remote host).
(function () {
  "use strict";
  var source = document.getElementById("dashboard-data");
  if (!source || typeof echarts === "undefined") { return; }
  var data = JSON.parse(source.textContent);
  var font = { fontFamily: "'Noto Sans CJK SC', 'Microsoft YaHei', sans-serif" };

  function chart(id, option) {
    var element = document.getElementById(id);
    if (!element) { return; }
    var instance = echarts.init(element, null, { renderer: "svg" });
    option.textStyle = font;
    option.animation = false;
    instance.setOption(option);
    window.addEventListener("resize", function () { instance.resize(); });
    element.setAttribute("data-rendered", "true");
  }

  chart("chart-classes", {
    tooltip: { trigger: "axis" },
    legend: { data: ["应抽取", "已抽取", "已检查"] },
    grid: { left: 40, right: 10, bottom: 40 },
    xAxis: { type: "category", data: data.classes.names, axisLabel: { interval: 0, rotate: 20 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "应抽取", type: "bar", data: data.classes.required, itemStyle: { color: "#9aa5b1" } },
      { name: "已抽取", type: "bar", data: data.classes.drawn, itemStyle: { color: "#2b6cb0" } },
      { name: "已检查", type: "bar", data: data.classes.inspected, itemStyle: { color: "#2f855a" } }
    ]
  });

  chart("chart-trend", {
    tooltip: { trigger: "axis" },
    legend: { data: ["抽取检查", "已完成", "发现问题"] },
    grid: { left: 40, right: 10, bottom: 30 },
    xAxis: { type: "category", data: data.trend.quarters },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "抽取检查", type: "line", data: data.trend.inspections },
      { name: "已完成", type: "line", data: data.trend.checked },
      { name: "发现问题", type: "bar", data: data.trend.problems, itemStyle: { color: "#c53030" } }
    ]
  });

  chart("chart-workload", {
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 10, bottom: 70 },
    xAxis: { type: "category", data: data.workload.names, axisLabel: { interval: 0, rotate: 60 } },
    yAxis: { type: "value", minInterval: 1 },
    series: [{
      name: "检查任务", type: "bar", data: data.workload.counts, itemStyle: { color: "#2b6cb0" },
      markLine: { symbol: "none", data: [{ yAxis: data.workload.cap, name: "年度上限" }],
                  lineStyle: { color: "#c53030" }, label: { formatter: "年度上限 {c}" } }
    }]
  });
})();
