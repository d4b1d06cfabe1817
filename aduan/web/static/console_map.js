// The console map: the matching complaints as markers coloured by status, clustered
// (leaflet.markercluster), each opening its complaint. Markers never depend on the tiles:
// on an intranet without internet the map is blank but every marker is there.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("bigmap");
  var count = document.getElementById("map-count");
  if (!box || typeof L === "undefined") return;
  var names = JSON.parse(box.dataset.statusNames || "{}");
  var map = L.map(box, { preferCanvas: false }).setView([-2.5, 118], 5);
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 19,
    attribution: box.dataset.attribution,
    referrerPolicy: "strict-origin-when-cross-origin",
  }).addTo(map);
  var cluster = L.markerClusterGroup({ chunkedLoading: true, disableClusteringAtZoom: 18 });
  map.addLayer(cluster);
  window.aduanMap = { map: map, markers: cluster };

  // Colours come from console.css (.st-<status>): the pages' CSP allows no inline style.
  function icon(status) {
    return L.divIcon({
      className: "status-marker",
      html: '<span class="st-' + status.replace(/[^a-z_]/g, "") + '"></span>',
      iconSize: [18, 18],
    });
  }

  fetch(box.dataset.points, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (answer) {
      if (!answer.ok) throw new Error(answer.status);
      return answer.json();
    })
    .then(function (data) {
      var markers = data.points.map(function (p) {
        var label = p[0] + " · " + (names[p[3]] || p[3]);
        var marker = L.marker([p[1], p[2]], {
          icon: icon(p[3]),
          title: label,
          alt: label,
          keyboard: true,
        });
        marker.on("click", function () {
          window.location.href = "/console/complaints/" + encodeURIComponent(p[0]);
        });
        return marker;
      });
      cluster.addLayers(markers);
      if (markers.length) map.fitBounds(cluster.getBounds(), { padding: [24, 24], maxZoom: 16 });
      var text = count.dataset.template.replace("{n}", String(markers.length));
      count.textContent = data.more ? text + " " + count.dataset.more : text;
      box.dataset.loaded = String(markers.length);
    })
    .catch(function () {
      count.textContent = "-";
    });
});
