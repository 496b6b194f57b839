// The chat page: the conversation on the left (plaintext, trusted side), and on the right what the untrusted server
// received and returned for each turn, as reported by the gateway (veil_untrusted in the last stream chunk) when the
// operator started it with --show-untrusted (/veil/config says; otherwise the panel is hidden). A gateway started with
// --api-key gets the key asked once; it stays in this tab's sessionStorage.
"use strict";

const messages = [];            // the conversation sent with each turn (OpenAI chat format)
let modelId = null;
let turns = 0;
let config = {show_untrusted: false, api_key_required: false};

const $ = (id) => document.getElementById(id);

function apiHeaders() {
  const headers = {"Content-Type": "application/json"};
  const key = sessionStorage.getItem("veil-api-key");
  if (key) headers["Authorization"] = `Bearer ${key}`;
  return headers;
}

// Asks for the key when the gateway needs one and none is stored (or the stored one was refused).
function askKey(refused) {
  if (!config.api_key_required) return;
  if (!refused && sessionStorage.getItem("veil-api-key")) return;
  const key = window.prompt(refused ? "The API key was refused. API key:" : "This gateway needs its API key:");
  if (key) sessionStorage.setItem("veil-api-key", key.trim());
  else sessionStorage.removeItem("veil-api-key");
}

async function loadModel() {
  try {
    config = await (await fetch("/veil/config")).json();
    if (!config.show_untrusted) {
      $("untrustedPane").hidden = true;
      document.querySelector("main").classList.add("single");
    }
    askKey(false);
    let r = await fetch("/v1/models", {headers: apiHeaders()});
    if (r.status === 401) { askKey(true); r = await fetch("/v1/models", {headers: apiHeaders()}); }
    const m = (await r.json()).data[0];
    modelId = m.id;
    $("model").textContent = `model ${m.id} · mode ${m.veil_mode}`;
  } catch (e) {
    $("model").textContent = "gateway unreachable";
  }
}

function bubble(role, text) {
  const div = document.createElement("div");
  div.className = `msg ${role}`;
  div.textContent = text;
  $("messages").appendChild(div);
  div.scrollIntoView({block: "end"});
  return div;
}

function idList(ids) {
  const div = document.createElement("div");
  div.className = "ids";
  div.textContent = ids.length ? ids.join(" ") : "(none)";
  return div;
}

function showUntrusted(view) {
  const panel = $("untrusted");
  if (turns === 0) panel.innerHTML = "";
  turns++;
  const card = document.createElement("div");
  card.className = "turn";
  const title = document.createElement("h3");
  title.textContent = `Turn ${turns} — ${view.mode}`;
  card.appendChild(title);
  const label = (text) => { const l = document.createElement("div"); l.className = "label"; l.textContent = text; card.appendChild(l); };
  if (view.prompt_token_ids.length || view.token_ids.length) {
    label(`received ${view.prompt_token_ids.length} obfuscated prompt ids`);
    card.appendChild(idList(view.prompt_token_ids));
    label(`returned ${view.token_ids.length} obfuscated ids`);
    card.appendChild(idList(view.token_ids));
  }
  if (view.tensors.length) {
    label("masked tensors exchanged");
    const table = document.createElement("table");
    table.className = "tensors";
    table.innerHTML = "<tr><th>product</th><th>shape</th><th>count</th></tr>";
    for (const t of view.tensors) {
      const row = table.insertRow();
      row.insertCell().textContent = t.product;
      row.insertCell().textContent = `${t.rows} × ${t.cols}`;
      row.insertCell().textContent = t.count;
    }
    card.appendChild(table);
  }
  panel.appendChild(card);
  card.scrollIntoView({block: "end"});
}

// Reads an SSE response: calls onData with each parsed "data:" payload until [DONE].
async function readEvents(response, onData) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const {value, done} = await reader.read();
    if (done) break;
    buffer += decoder.decode(value, {stream: true});
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split("\n")) {
        if (!line.startsWith("data: ")) continue;
        const data = line.slice(6);
        if (data === "[DONE]") return;
        onData(JSON.parse(data));
      }
    }
  }
}

async function send(text) {
  messages.push({role: "user", content: text});
  bubble("user", text);
  const answer = bubble("assistant pending", "");
  $("send").disabled = true;
  let content = "";
  try {
    const request = {
      model: modelId, messages, stream: true,
      temperature: Number($("temperature").value), max_tokens: Number($("maxTokens").value),
    };
    if (config.show_untrusted) request.veil_untrusted = true;
    const response = await fetch("/v1/chat/completions", {method: "POST", headers: apiHeaders(), body: JSON.stringify(request)});
    if (response.status === 401) askKey(true);
    if (!response.ok) throw new Error((await response.json()).error.message);
    await readEvents(response, (chunk) => {
      if (chunk.error) throw new Error(chunk.error.message);
      for (const choice of chunk.choices) {
        if (choice.delta && choice.delta.content) {
          content += choice.delta.content;
          answer.textContent = content;
        }
      }
      if (chunk.veil_untrusted) showUntrusted(chunk.veil_untrusted);
    });
    messages.push({role: "assistant", content});
    answer.classList.remove("pending");
    answer.classList.add("done");
  } catch (e) {
    answer.classList.remove("pending");
    answer.classList.add("error");
    answer.textContent = `error: ${e.message}`;
    messages.pop();
  } finally {
    $("send").disabled = false;
  }
}

$("form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("input").value.trim();
  if (!text || $("send").disabled) return;
  $("input").value = "";
  send(text);
});
$("input").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("form").requestSubmit(); }
});
loadModel();
