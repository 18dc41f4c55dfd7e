/* clickto tag: docs/sdk.md */
((w, d) => {
  const old = w.clickto;
  // the top window only: a framed page (size chart, 3-D Secure) would take over the visit
  if (old?.v || w != w.top) return;
  const L = location, N = navigator, M = Math, J = JSON.stringify, now = Date.now, noop = () => {};
  const safe = f => (...a) => {try {return f(...a);} catch {}};
  const on = (t, e, f, o) => t.addEventListener(e, safe(f), o || true);
  const later = (f, ms) => setTimeout(safe(f), ms);
  const jitter = (n, max) => M.min(max, 500 * 2 ** n) * (.5 + M.random());
  const words = s => s.split(' ');
  const str = (v, n) => v == null ? v : String(v).trim().slice(0, n || 2000);
  const script = d.currentScript || d.querySelector('script[data-site][src*=clickto]');
  if (!script) return;
  const site = script.dataset.site || '', base = new URL('.', script.src).href, url = base + 'v1/events';

  // storage
  const mem = {}, KEY = 'clickto:' + site + ':';
  const load = k => {try {return JSON.parse(localStorage[KEY + k] || null);} catch {return mem[k];}};
  const store = (k, v) => {mem[k] = v; try {localStorage[KEY + k] = J(v);} catch {}};
  const rid = () => crypto.getRandomValues(new Uint32Array(3)).join('');
  const visitor = load('v') || rid();
  store('v', visitor);
  let ses; // {id, at, n}
  function session(viewing) {
    let s = load('s'), t = now();
    // storage that stopped taking writes (quota) holds an older session than memory
    if (!s || ses?.at > s.at) s = ses;
    if (!(t - s?.at < 18e5)) {
      s = {id: rid(), n: (s?.n || 0) + 1};
      // the old visit's button goes with it: the new one decides afresh (and records its own button_shown)
      // (decide in a moment: a listener that sends something would otherwise start a visit again and again)
      if (ses) flush(), viewing || later(pageView, 0), later(decide, 0);
    }
    s.at = t;
    store('s', ses = s);
    return s;
  }

  // the page
  const TYPES = words('home category product search cart checkout info account other');
  const STEPS = words('address shipping payment confirmation');
  const ATTRS = words('page-type category product price cart-value cart-items checkout-step').map(a => 'data-clickto-' + a);
  const attr = n => str(d.body.getAttribute('data-clickto-' + n) ?? d.documentElement.getAttribute('data-clickto-' + n) ??
    d.querySelector(`meta[name="clickto:${n}"]`)?.content);
  const num = (v, int) => (v = (int ? parseInt : parseFloat)(String(v).replace(',', '.').replace(/[^\d.-]/g, ''))) >= 0 ? v : undefined;
  const pick = (v, list) => list.includes(v = v && v.toLowerCase()) ? v : undefined;
  function page() {
    const step = pick(attr('checkout-step'), STEPS), type = attr('page-type');
    return {
      page_type: type ? pick(type, TYPES) || 'other' : step && 'checkout', category: attr('category'),
      product: attr('product'), price: num(attr('price')), checkout_step: step,
      cart_value: num(attr('cart-value')), cart_items: num(attr('cart-items'), 1)
    };
  }
  let pg = {};
  const checkout = () => pg.page_type == 'checkout';
  const dev = /Mobi|iPhone/.test(N.userAgent) ? 'mobile' : matchMedia('(pointer:coarse)').matches ? 'tablet' : 'desktop';

  // sending
  // given up (the tag blocked, the service gone): quiet for 10 minutes, on this page and the next ones
  // (read once per page: a tab that gives up does not silence the other tabs working meanwhile; a page opened
  // during a pause stays quiet, since what it would report next lacks its page view)
  let q = [], sending, backoff, fails = 0, tries = 0, off = load('off') > now() ? 1 / 0 : 0, tm, due;
  const dead = () => off > now();
  function push(type, data, ms) {
    if (dead()) return;
    const json = J({...data, type, t: now()});
    if (json.length > 8e3) return;
    session();
    q.push(json);
    if (q.length > 300) q.splice(M.max(0, q.findIndex(x => x.includes('"activity"'))), 1);
    schedule(ms ?? 60);
  }
  function schedule(ms) {
    if (tm && due <= now() + ms) return;
    clearTimeout(tm);
    due = now() + ms;
    tm = later(flush, ms);
  }
  function take() {
    let size = 0, n = 0;
    while (n < q.length && size < 1e4) size += q[n++].length;
    const items = q.splice(0, n), sid = ses.id;
    return {sid, items, body: `{"site":${J(site)},"session":"${sid}","visitor":"${visitor}","sent_at":${now()},"events":[${items}]}`};
  }
  const post = body => new Promise(r => r(fetch(url, {method: 'POST', body, keepalive: true, credentials: 'omit', headers: {'Content-Type': 'text/plain'}})));
  function flush() {
    clearTimeout(tm); tm = 0;
    if (sending || backoff || dead() || !q.length) return;
    const b = take();
    sending = 1;
    post(b.body).then(r => {
      if (r.ok) return r.json().then(safe(res => {
        fails = tries = 0;
        // the service lost the session (restart): report the page again
        if ('decision' in res && b.sid == ses.id) decide(res.decision), res.page_unknown && pageView();
        stream();
      }), noop);
      const st = r.status;
      if (st < 500 && st != 408 && st != 429) {
        return r.json().then(safe(er => {
          const i = /^events\[(\d+)\]/.exec(er.field);
          if (i && b.items.length > 1) {b.items.splice(i[1], 1); q = b.items.concat(q);}
        }), noop);
      }
      throw 0;
    }).catch(() => {
      q = b.items.concat(q).slice(-300);
      // failures while offline do not count towards giving up, but the waits between tries still grow
      if (N.onLine && ++fails > 5) {
        q = []; fails = tries = 0; closeStream();
        return store('off', off = now() + 6e5);
      }
      backoff = later(() => {backoff = 0; flush();}, jitter(++tries, 3e4));
    }).then(() => {sending = 0; if (q.length) schedule(0);}, noop);
  }
  function beacon() {
    // (take() first: an optional call skips its arguments, and the loop would never end without sendBeacon)
    for (let body; !dead() && q.length;) body = take().body, N.sendBeacon?.(url, body) || post(body).catch(noop);
  }

  // decisions
  let es, esFails = 0, esTimer, esSid, subs = [], host, btn, shown, ctx, panel;
  function stream() {
    if (es && esSid != ses.id) closeStream();
    if (es || esTimer || dead()) return;
    es = new EventSource(`${base}v1/stream?site=${encodeURIComponent(site)}&session=${esSid = ses.id}`);
    es.onopen = () => esFails = 0;
    es.addEventListener('decision', safe(m => esSid == ses.id && decide(JSON.parse(m.data))));
    es.onerror = safe(() => {
      closeStream();
      if (++esFails < 6) esTimer = later(() => {esTimer = 0; stream();}, jitter(esFails + 1, 6e4));
    });
  }
  const closeStream = () => es = es?.close();
  function decide(dc) {
    // listeners hear every decision, also where the page refuses the button's markup (Trusted Types)
    safe(render)(api.decision = dc = dc || null);
    subs.forEach(f => safe(f)(dc));
  }
  function render(dc) {
    const ch = dc && !dc.held_out && dc.channel, label = ch && str(dc.label || ch, 80), rule = ch && dc.rule || undefined;
    if (host && shown.channel != ch) host = host.remove();
    if (!ch) return;
    if (!host) {
      host = d.createElement('div');
      // !important: a shop rule such as div{position:static!important} must not move it
      host.style.cssText = 'all:initial;position:fixed;right:16px;bottom:16px;z-index:2147483000'.replace(/;|$/g, '!important;');
      host.attachShadow({mode: 'open'}).innerHTML = '<style>button{all:initial;font:600 15px sans-serif;color:#fff;' +
        'background:#1d4ed8;padding:12px 20px;border-radius:99px;cursor:pointer}' +
        ':focus-visible{outline:3px solid #f59e0b;outline-offset:3px}[data-clickto-button=chat]{background:#047857}</style><button type=button>';
      btn = host.shadowRoot.lastChild;
      host.dataset.clicktoButton = btn.dataset.clicktoButton = ch;
      btn.onclick = safe(click);
      // not into <body>: a transform there would carry it off screen, a swapped body (Turbo) away
      d.documentElement.appendChild(host);
      push('button_shown', {channel: ch, rule}, 1e3);
    }
    shown = {channel: ch, rule, label};
    btn.textContent = label;
  }
  const openPanel = () => w.clicktoPanel.open(ctx);
  function click() {
    ctx = {base, site, session: ses.id, ...shown, button: btn};
    push('button_click', {channel: ctx.channel, rule: ctx.rule}, 0);
    if (panel) return openPanel();
    panel = d.createElement('script');
    panel.src = base + 'clickto-panel.js';
    panel.onload = safe(openPanel);
    panel.onerror = () => {panel = 0;};
    d.head.appendChild(panel);
  }

  // collectors
  const FIELD = /^(INPUT|SELECT|TEXTAREA)$/, errs = {};
  let here, last, lp, hist = [], hi = 0, vis, act = 0, exitAt = 0, lastField;
  const hr = () => L.pathname + (/^#[!/]/.test(L.hash) ? L.hash : ''), key = () => L.search + hr();
  const visible = () => !d.hidden && d.hasFocus();
  function pageView(spa) {
    const ref = spa == 1 ? here : d.referrer;
    pg = page();
    last = key();
    lp = hr();
    here = L.href;
    push('page_view', {
      url: str(here), path: L.pathname, title: str(d.title), referrer: str(ref), spa: spa == 1,
      device: dev, visit_count: session(1).n, visible: vis = visible(), ...pg
    });
  }
  function pageChanged() {
    const p = page();
    if (p.cart_value != pg.cart_value || p.cart_items != pg.cart_items) cart(p.cart_value, p.cart_items);
    if (p.checkout_step && p.checkout_step != pg.checkout_step) push('checkout_step', {step: p.checkout_step});
    pg = p;
  }
  const back = () => push('back', {url: str(L.href)});
  const cart = (value, items) => value >= 0 && push('cart', {value, items});
  function route(kind) {
    const k = key();
    if (kind == 'r') hist[hi] = k;
    else if (kind != 'p' && hist[hi - 1] == k) hi--, kind = 0;
    else if (kind != 'p' && hist[hi + 1] == k) hi++;
    // pushState, or a popstate to an entry not seen (a hash router's link): a new entry
    else hist[hist.length = ++hi] = k;
    later(() => {
      // same page (a modal's history entry, an #anchor): no page view, no back
      if (key() != last) kind == 'r' && hr() == lp ? (last = key(), here = L.href) : (pageView(1), kind || back());
    }, 30);
  }
  const seen = v => v !== vis && push('visibility', {visible: vis = v});
  const visibility = () => seen(visible());
  const fieldName = el => str(el.name || el.id || el.type);
  function formError(field, msg) {
    const k = field + msg;
    if (!checkout() || now() - (errs[k] || 0) < 2e3) return;
    errs[k] = now();
    push('form_error', {field, message: str(msg, 300)});
  }
  function errorNode(el) {
    const v = el.getAttribute('data-clickto-error'), f = FIELD.test(el.tagName);
    if (v != null || el.getAttribute('aria-invalid') == 'true') formError(f ? fieldName(el) : str(v || el.id), f ? v || el.validationMessage : el.textContent);
  }
  ATTRS.push('aria-invalid', 'data-clickto-error');
  function observe(list) {
    for (const m of list) {
      const t = m.target, a = m.attributeName, i = ATTRS.indexOf(a);
      if (i >= 0 && i < 7) (t == d.body || t == d.documentElement) && pageChanged();
      else if (!checkout());
      else if (a) m.oldValue != t.getAttribute(a) && errorNode(t);
      else for (const n of m.addedNodes) n.querySelectorAll && [n, ...n.querySelectorAll('[aria-invalid=true],[data-clickto-error]')].forEach(errorNode);
    }
  }

  // API
  const impl = {
    track: (type, data) => push(type, data),
    cart: c => cart(num(c?.value), num(c?.items, 1)),
    set: data => push('custom', {data}),
    on(name, f) {
      if (name == 'decision') subs.push(f), api.decision && f(api.decision);
    },
    off: (name, f) => {subs = subs.filter(g => g != f)},
    flush: () => schedule(0)
  };
  let ready, early = Array.isArray(old) ? old : [];
  function drain() {
    key() != last && pageView(1);
    ready = 1;
    early.splice(0).forEach(api.push);
  }
  const api = w.clickto = {v: 1, decision: null, push: safe(a => ready && key() == last && !early[0] ? impl[a[0]](...a.slice(1)) : early.push(a) && ready && later(drain, 40))};
  for (const n in impl) api[n] = (...a) => api.push([n, ...a]);
  session();

  function start() {
    pageView();
    hist = [last];
    if (performance.getEntriesByType('navigation')[0]?.type == 'back_forward') back();
    drain();
    for (const m of words('pushState replaceState')) {
      // a wrapper the page set on history before us is kept; the prototype's method is read at each call,
      // so a router library that patches History.prototype later still runs
      const own = history.hasOwnProperty(m) && history[m];
      history[m] = function (...a) {
        const r = (own || History.prototype[m]).apply(this, a);
        safe(route)(m[0]);
        return r;
      };
    }
    on(w, 'popstate', route);
    on(w, 'pageshow', e => e.persisted && (pageView(), back()));
    on(w, 'pagehide', () => {
      seen(false);
      closeStream();
      beacon();
    });
    on(d, 'visibilitychange', () => {visibility(); if (d.hidden) schedule(0);});
    for (const e of words('focus blur')) on(w, e, visibility);
    for (const e of words('pointerdown pointermove keydown scroll wheel')) on(w, e, () => {
      if (now() - act > 2e3) push('activity', {}, 1e3, act = now());
    }, {capture: true, passive: true});
    on(d, 'mouseout', e => {
      if (dev == 'desktop' && !e.relatedTarget && e.clientY <= 0 && now() - exitAt > 1e4) push('exit_intent', {}, 60, exitAt = now());
    });
    on(d, 'focusin', e => {
      const el = e.target, f = fieldName(el);
      if (checkout() && FIELD.test(el.tagName) && el.form && !/^(hidden|submit|button|reset)$/.test(el.type) && f != lastField) push('field_focus', {field: lastField = f});
    });
    on(d, 'invalid', e => formError(fieldName(e.target), e.target.validationMessage));
    new MutationObserver(safe(observe)).observe(d.documentElement, {subtree: true, childList: true, attributeOldValue: true, attributeFilter: ATTRS});
  }
  d.readyState == 'loading' ? on(d, 'DOMContentLoaded', start) : safe(start)();
})(window, document);
