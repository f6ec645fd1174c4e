// The report charts: drawn by Chart.js (served from static/vendor) from the JSON the page carries.
// The same numbers are in the tables under the charts, which are what screen readers read.
(function () {
  "use strict";
  var source = document.getElementById("report-charts");
  if (!source || typeof Chart === "undefined") {
    return;
  }
  var data = JSON.parse(source.textContent);
  var city = "#0b6e4f", campus = "#8a5a00", line = "#0d47a1";
  var percent = { min: 0, max: 100, ticks: { callback: function (v) { return v + "%"; } } };
  var common = { responsive: true, maintainAspectRatio: false, animation: false };

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  draw("chart-utilisation", {
    type: "bar",
    data: {
      labels: data.groups,
      datasets: [{ label: data.labels.utilisation, data: data.utilisation, backgroundColor: line }]
    },
    options: Object.assign({}, common, { indexAxis: "y", scales: { x: percent } })
  });
  draw("chart-shares", {
    type: "bar",
    data: {
      labels: data.groups,
      datasets: [
        { label: data.labels.city, data: data.city, backgroundColor: city },
        { label: data.labels.campus, data: data.campus, backgroundColor: campus }
      ]
    },
    options: Object.assign({}, common, {
      indexAxis: "y",
      scales: { x: Object.assign({ stacked: true }, percent), y: { stacked: true } }
    })
  });
  draw("chart-trend", {
    type: "line",
    data: {
      labels: data.steps,
      datasets: [
        { label: data.labels.utilisation, data: data.trend_utilisation, borderColor: line, backgroundColor: line },
        { label: data.labels.openness, data: data.trend_city, borderColor: city, backgroundColor: city }
      ]
    },
    options: Object.assign({}, common, { scales: { y: percent } })
  });
})();
