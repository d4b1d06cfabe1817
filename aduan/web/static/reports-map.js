// The public map: the anonymised reports of /peta.json as clustered markers (Leaflet and
// Leaflet.markercluster from the app's own copies). Markers show even without tiles.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("reports-map");
  if (!box || typeof L === "undefined") return;
  var map = L.map(box).setView(
    [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)],
    parseInt(box.dataset.zoom, 10) || 12
  );
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 19,
    attribution: box.dataset.attribution,
    referrerPolicy: "strict-origin-when-cross-origin",
  }).addTo(map);
  var group = typeof L.markerClusterGroup === "function" ? L.markerClusterGroup() : L.layerGroup();
  group.addTo(map);

  function popup(report) {
    // Built from text nodes: the reports' words are never parsed as HTML.
    var root = document.createElement("div");
    var head = document.createElement("strong");
    head.textContent = report.code + " · " + report.category_label;
    var status = document.createElement("div");
    status.textContent = report.status_label + " · " + report.opd_name;
    var text = document.createElement("p");
    text.textContent = report.text;
    root.appendChild(head);
    root.appendChild(status);
    root.appendChild(text);
    return root;
  }

  fetch(box.dataset.src, { headers: { Accept: "application/json" } })
    .then(function (answer) { return answer.json(); })
    .then(function (data) {
      var points = [];
      data.reports.forEach(function (report) {
        if (report.lat === null || report.lon === null) return;
        var at = [report.lat, report.lon];
        var label = report.code + " " + report.category_label;
        L.marker(at, { title: label, alt: label }).bindPopup(popup(report)).addTo(group);
        points.push(at);
      });
      box.dataset.markers = String(points.length);
      if (points.length) map.fitBounds(points, { maxZoom: 16, padding: [24, 24] });
    });
});
