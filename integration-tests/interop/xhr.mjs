// A small XMLHttpRequest for Node on top of fetch, with responseXML parsed by
// @xmldom/xmldom: enough for Strophe.js's BOSH transport, which reads responseXML.
import { DOMParser } from "@xmldom/xmldom";

export class XMLHttpRequest {
  static UNSENT = 0;
  static OPENED = 1;
  static DONE = 4;
  readyState = 0;
  status = 0;
  responseText = "";
  responseXML = null;
  onreadystatechange = null;
  #method = "GET";
  #url = "";
  #headers = {};
  #abort = new AbortController();
  #responseHeaders = "";

  getAllResponseHeaders() {
    return this.#responseHeaders;
  }

  getResponseHeader(name) {
    const line = this.#responseHeaders.split("\r\n").find((l) => l.toLowerCase().startsWith(`${name.toLowerCase()}:`));
    return line ? line.slice(line.indexOf(":") + 1).trim() : null;
  }

  open(method, url) {
    this.#method = method;
    this.#url = url;
    this.readyState = 1;
  }

  setRequestHeader(name, value) {
    this.#headers[name] = value;
  }

  abort() {
    this.#abort.abort();
  }

  send(body) {
    fetch(this.#url, { method: this.#method, headers: this.#headers, body, signal: this.#abort.signal })
      .then(async (r) => {
        this.status = r.status;
        this.#responseHeaders = [...r.headers].map(([k, v]) => `${k}: ${v}`).join("\r\n");
        this.responseText = await r.text();
        try {
          this.responseXML = new DOMParser().parseFromString(this.responseText, "text/xml");
        } catch {
          this.responseXML = null;
        }
      })
      .catch(() => {
        this.status = 0;
      })
      .finally(() => {
        this.readyState = 4;
        this.onreadystatechange?.();
      });
  }
}
