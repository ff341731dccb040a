/**
 * DOM building without innerHTML: every string becomes a text node or an attribute value, so
 * names from the profile (file names, function names, messages) can never become markup.
 */

type Child = Node | string | number | null | undefined | false;
type AttrValue = string | number | boolean | null | undefined;
type Handlers = Partial<{ [K in keyof HTMLElementEventMap]: (ev: HTMLElementEventMap[K]) => void }>;
export interface Attrs { [name: string]: AttrValue | Handlers; on?: Handlers }

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [name, value] of Object.entries(attrs)) {
      if (name === "on") continue;
      if (/^on/i.test(name)) throw new Error(`refusing event-handler attribute ${name}`);
      if (value === null || value === undefined || value === false || typeof value === "object") continue;
      el.setAttribute(name, value === true ? "" : String(value));
    }
    const on = attrs.on;
    if (on) for (const [ev, fn] of Object.entries(on)) el.addEventListener(ev, fn as EventListener);
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    parent.appendChild(typeof c === "string" || typeof c === "number" ? document.createTextNode(String(c)) : c);
  }
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

export function text(el: Element, value: string): void {
  if (el.textContent !== value) el.textContent = value;
}
