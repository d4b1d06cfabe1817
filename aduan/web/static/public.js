// The report form's map: tap to set the pin, or take the browser's location. Leaflet comes
// from the app's own copy; the pin shows even when the tiles cannot load.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var box = document.getElementById("pick-map");
  if (!box || typeof L === "undefined") return;
  var lat = document.getElementById("lat");
  var lon = document.getElementById("lon");
  var status = document.getElementById("location-status");
  var start = lat.value && lon.value
    ? [parseFloat(lat.value), parseFloat(lon.value)]
    : [parseFloat(box.dataset.lat), parseFloat(box.dataset.lon)];
  var map = L.map(box).setView(start, parseInt(box.dataset.zoom, 10) || 13);
  L.tileLayer(box.dataset.tiles, {
    maxZoom: 19,
    attribution: box.dataset.attribution,
    referrerPolicy: "strict-origin-when-cross-origin",
  }).addTo(map);
  var pin = null;

  function place(at, zoom) {
    lat.value = at[0].toFixed(6);
    lon.value = at[1].toFixed(6);
    if (pin) {
      pin.setLatLng(at);
    } else {
      pin = L.marker(at, { draggable: true, title: box.dataset.placed, alt: box.dataset.placed });
      pin.on("dragend", function () {
        var moved = pin.getLatLng();
        place([moved.lat, moved.lng]);
      });
      pin.addTo(map);
    }
    if (zoom) map.setView(at, zoom);
    status.textContent = box.dataset.placed + " (" + lat.value + ", " + lon.value + ")";
  }

  if (lat.value && lon.value) place(start);
  map.on("click", function (event) { place([event.latlng.lat, event.latlng.lng]); });

  var locate = document.getElementById("locate");
  if (locate && navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", function () {
      navigator.geolocation.getCurrentPosition(
        function (position) { place([position.coords.latitude, position.coords.longitude], 17); },
        function () { status.textContent = box.dataset.unavailable; },
        { enableHighAccuracy: true, timeout: 10000 }
      );
    });
  }
});
