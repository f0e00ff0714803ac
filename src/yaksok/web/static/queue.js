// The waiting room page: the position and the wait kept live from the cacheable status document
// (no database read per poll); the admission button asks for the signed, single-use token.
(function () {
  const box = document.getElementById("queue");
  if (!box) return;
  const number = Number(box.dataset.number);
  async function poll() {
    try {
      const status = await (await fetch(box.dataset.status)).json();
      const ahead = Math.max(0, number - status.admitting_up_to);
      document.getElementById("ahead").textContent = ahead;
      document.getElementById("wait").textContent = Math.ceil(ahead / status.admit_per_second);
      document.getElementById("turn").hidden = ahead > 0;
    } catch (e) {
      // the next poll tries again; the page also refreshes itself every 10 s
    }
  }
  async function admit() {
    const reply = await fetch(box.dataset.admission, {
      method: "POST",
      headers: {"content-type": "application/json"},
      body: JSON.stringify({ticket: box.dataset.ticket}),
    });
    document.getElementById("token").textContent = (await reply.json()).admission || "";
  }
  document.getElementById("admit").addEventListener("click", admit);
  poll();
  setInterval(poll, 2000);
})();
