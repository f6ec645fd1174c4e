// The facility map: Leaflet (vendored under static/vendor/leaflet), markers from the page's data attributes.
// No inline script (the CSP forbids it). Without a tile server URL the markers sit on a plain background.
(function () {
  "use strict";
  var element = document.getElementById("facility-map");
  if (!element || typeof L === "undefined") {
    return;
  }
  var points = JSON.parse(element.dataset.points || "[]");
  var map = L.map(element, { scrollWheelZoom: false });
  if (element.dataset.tileUrl) {
    L.tileLayer(element.dataset.tileUrl, {
      maxZoom: 18,
      attribution: element.dataset.tileAttribution || "",
    }).addTo(map);
  }
  var icon = L.icon({
    iconUrl: element.dataset.markerIcon,
    iconRetinaUrl: element.dataset.markerIcon2x,
    shadowUrl: element.dataset.markerShadow,
    iconSize: [25, 41],
    iconAnchor: [12, 41],
    popupAnchor: [1, -34],
    shadowSize: [41, 41],
  });
  var bounds = [];
  points.forEach(function (point) {
    var marker = L.marker([point.lat, point.lon], { icon: icon, title: point.name, alt: point.name });
    var link = document.createElement("a");
    link.href = point.url;
    link.textContent = point.name;
    var kind = document.createElement("div");
    kind.textContent = point.kind;
    var popup = document.createElement("div");
    popup.appendChild(link);
    popup.appendChild(kind);
    marker.bindPopup(popup);
    marker.addTo(map);
    bounds.push([point.lat, point.lon]);
  });
  if (bounds.length) {
    map.fitBounds(bounds, { padding: [30, 30], maxZoom: 16 });
  } else {
    map.setView([35.215, 113.24], 12); // Jiaozuo
  }
})();
