// roomgate admin: the "PMS 연동" modal (preview, then save). Plain JavaScript, no build step.
// Text from the PMS is put into the page with textContent only (never innerHTML).
"use strict";
(function () {
  const csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  const modal = document.getElementById("pms-modal");
  const opener = document.getElementById("add-product");
  if (!modal || !opener) return;

  const $ = (id) => document.getElementById(id);
  const pmsForm = $("pms-form");
  const productForm = $("product-form");
  const won = (amount, currency) => (amount == null ? "-" : amount.toLocaleString("ko-KR") + " " + currency);
  let loaded = null; // {vendor, hotelId, form}

  function show(el, text) {
    el.textContent = text;
    el.hidden = !text;
  }

  async function call(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
      });
    } catch (e) {
      return { ok: false, message: "서버에 연결할 수 없습니다. 네트워크를 확인하세요" };
    }
    let data = null;
    try { data = await response.json(); } catch (e) { data = null; }
    if (response.ok && data && data.success) return { ok: true, data: data };
    let message = data && typeof data.error === "string" ? data.error : "요청을 처리하지 못했습니다 (HTTP " + response.status + ")";
    if (response.status === 401 && data && data.errorCode === "UNAUTHORIZED") {
      message += " — 다시 로그인해 주세요";
    }
    return { ok: false, message: message, status: response.status };
  }

  function reset() {
    pmsForm.reset();
    productForm.reset();
    productForm.hidden = true;
    show($("pms-error"), "");
    show($("pf-error"), "");
    loaded = null;
  }

  opener.addEventListener("click", function () {
    reset();
    modal.showModal();
    $("pms-vendor").focus();
  });
  $("pms-close").addEventListener("click", function () { modal.close(); opener.focus(); });

  function setBusy(button, status, busy) {
    button.disabled = busy;
    status.hidden = !busy;
    button.setAttribute("aria-busy", busy ? "true" : "false");
  }

  pmsForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    show($("pms-error"), "");
    const hotelInput = $("pms-hotel-id");
    const keyInput = $("pms-api-key");
    if (!hotelInput.value.trim() || !hotelInput.checkValidity()) {
      show($("pms-error"), "호텔 ID를 확인하세요 (영문, 숫자, _ . - 만 사용)");
      hotelInput.focus();
      return;
    }
    if (!keyInput.value) {
      show($("pms-error"), "API 키를 입력하세요");
      keyInput.focus();
      return;
    }
    const request = { vendor: $("pms-vendor").value, hotelId: hotelInput.value.trim(), apiKey: keyInput.value };
    setBusy($("pms-load"), $("pms-loading"), true);
    productForm.hidden = true;
    const result = await call("/api/admin/pms/preview", request);
    setBusy($("pms-load"), $("pms-loading"), false);
    if (!result.ok) {
      show($("pms-error"), result.message);
      return;
    }
    loaded = { vendor: request.vendor, hotelId: request.hotelId, form: result.data.form };
    fill(result.data.form);
  });

  function fill(form) {
    $("pf-name").value = form.hotelName;
    $("pf-location").value = form.location;
    $("pf-average").textContent = won(form.averagePrice, form.currency);
    $("pf-occupancy").textContent = form.maxOccupancy == null ? "-" : form.maxOccupancy + "명";
    $("pf-inventory").textContent = form.currentInventory + "실 (오늘 밤)";
    const list = $("pf-rooms");
    list.replaceChildren();
    form.roomTypes.forEach(function (room, index) {
      const item = document.createElement("li");
      item.className = room.highlighted ? "highlight" : "";
      item.dataset.roomTypeId = room.roomTypeId;
      const label = document.createElement("label");
      label.htmlFor = "pf-room-" + index;
      label.textContent = "객실 타입 " + room.roomTypeId;
      const input = document.createElement("input");
      input.id = "pf-room-" + index;
      input.className = "room-name";
      input.maxLength = 200;
      input.required = true;
      input.value = room.name;
      const facts = document.createElement("div");
      facts.className = "room-facts";
      facts.textContent = "최대 " + room.maxOccupancy + "명 · 평균 " + won(room.averagePrice, form.currency) +
        " · 오늘 재고 " + (room.availableNow == null ? "-" : room.availableNow + "실");
      item.append(label, input, facts);
      list.append(item);
    });
    productForm.hidden = false;
    $("pf-name").focus();
  }

  productForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    show($("pf-error"), "");
    if (!loaded) return;
    const name = $("pf-name").value.trim();
    if (!name) {
      show($("pf-error"), "호텔 이름을 입력하세요");
      $("pf-name").focus();
      return;
    }
    const interval = parseInt($("pf-interval").value, 10);
    if (!(interval >= 60 && interval <= 86400)) {
      show($("pf-error"), "폴링 주기는 60초에서 86400초 사이여야 합니다");
      $("pf-interval").focus();
      return;
    }
    const roomTypes = Array.from(document.querySelectorAll("#pf-rooms li")).map(function (li) {
      return { roomTypeId: li.dataset.roomTypeId, name: li.querySelector("input.room-name").value.trim() || li.dataset.roomTypeId };
    });
    const body = {
      vendor: loaded.vendor,
      hotelId: loaded.hotelId,
      apiKey: $("pms-api-key").value,
      name: name,
      location: $("pf-location").value.trim(),
      description: $("pf-description").value,
      roomTypes: roomTypes,
      pollingEnabled: $("pf-polling").checked,
      pollingIntervalSeconds: interval,
    };
    setBusy($("pf-save"), $("pf-saving"), true);
    const result = await call("/api/admin/listings", body);
    setBusy($("pf-save"), $("pf-saving"), false);
    if (!result.ok) {
      show($("pf-error"), result.message);
      return;
    }
    const changes = result.data.changes;
    let notice = "새 상품을 저장했습니다";
    if (!result.data.created) {
      const count = Object.keys(changes.fields).length + changes.roomTypesAdded.length +
        changes.roomTypesRemoved.length + changes.roomTypesUpdated.length;
      notice = "기존 상품을 업데이트했습니다 (변경 " + count + "건, 재고 " + changes.inventoryNightsChanged +
        "박, 요금 " + changes.priceNightsChanged + "박)";
    }
    window.location.assign("/admin/listings/" + result.data.listing.id + "?notice=" + encodeURIComponent(notice));
  });
})();
