// The handheld pages' little script: signature pad, position, camera scan, sync bar.
// Everything works without it except drawing the signature (the server never needs it).
"use strict";

function signaturePad() {
  const pad = document.getElementById("signature-pad");
  const field = document.getElementById("signature");
  if (!pad || !field) return;
  const ink = pad.getContext("2d");
  ink.lineWidth = 3; ink.lineCap = "round"; ink.strokeStyle = "#111";
  let drawing = false, drawn = false;
  const at = (e) => {
    const box = pad.getBoundingClientRect();
    return [(e.clientX - box.left) * pad.width / box.width, (e.clientY - box.top) * pad.height / box.height];
  };
  pad.addEventListener("pointerdown", (e) => {
    drawing = true; pad.setPointerCapture(e.pointerId);
    ink.beginPath(); ink.moveTo(...at(e));
  });
  pad.addEventListener("pointermove", (e) => {
    if (!drawing) return;
    ink.lineTo(...at(e)); ink.stroke(); drawn = true;
  });
  const end = () => { drawing = false; if (drawn) field.value = pad.toDataURL("image/png"); };
  pad.addEventListener("pointerup", end);
  pad.addEventListener("pointercancel", end);
  document.getElementById("signature-clear").addEventListener("click", () => {
    ink.clearRect(0, 0, pad.width, pad.height); drawn = false; field.value = "";
  });
}

function position() {
  const where = document.getElementById("where");
  if (!where) return;
  if (!navigator.geolocation) { where.textContent = "Position: not available on this phone."; return; }
  navigator.geolocation.getCurrentPosition((p) => {
    document.getElementById("lat").value = p.coords.latitude.toFixed(6);
    document.getElementById("lon").value = p.coords.longitude.toFixed(6);
    where.textContent = "Position recorded (within " + Math.round(p.coords.accuracy) + " m).";
  }, () => { where.textContent = "Position: not allowed or not found; the delivery is recorded without it."; },
  { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
}

function differentAmount() {
  const form = document.getElementById("collect");
  const box = document.getElementById("reason-box");
  if (!form || !box) return;
  const amount = document.getElementById("amount");
  const check = () => {
    const differs = amount.value.trim() !== form.dataset.expected;
    box.classList.toggle("when-different", !differs);
    document.getElementById("collect-reason").required = differs;
  };
  amount.addEventListener("input", check); check();
}

async function cameraScan() {
  const button = document.getElementById("camera");
  if (!button || !("BarcodeDetector" in window) || !navigator.mediaDevices) return;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const video = document.getElementById("viewfinder");
    const detector = new BarcodeDetector();
    const stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.srcObject = stream; video.hidden = false; await video.play();
    const look = async () => {
      const found = await detector.detect(video).catch(() => []);
      if (found.length) {
        stream.getTracks().forEach((t) => t.stop());
        document.getElementById("code").value = found[0].rawValue;
        document.getElementById("scan").submit();
      } else { requestAnimationFrame(look); }
    };
    look();
  });
}

function refreshSync() {
  const bar = document.getElementById("sync");
  if (!bar) return;
  setInterval(async () => {
    try {
      const answer = await fetch("/sync", { credentials: "same-origin" });
      if (answer.ok && !answer.redirected) bar.innerHTML = await answer.text();
    } catch (e) { /* the node itself is down: keep the last bar */ }
  }, 3000);
}

document.addEventListener("DOMContentLoaded", () => {
  signaturePad(); position(); differentAmount(); cameraScan(); refreshSync();
});
