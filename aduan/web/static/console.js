// The complaint page's map: Leaflet from the app's own copy, set up from the div's data-*.
// The marker shows even when the tiles cannot load (an intranet without internet).
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("map");
  if (!box || typeof L === "undefined") return;
  var at = [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  var map = L.map(box).setView(at, 16);
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 19,
    attribution: box.dataset.attribution,
    // The pages send no referrer; tile servers such as OpenStreetMap's want the site's origin.
    referrerPolicy: "strict-origin-when-cross-origin",
  }).addTo(map);
  L.marker(at, { title: box.dataset.label, alt: box.dataset.label }).addTo(map);
});
