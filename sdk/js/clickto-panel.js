/* clickto conversation panel: loaded by clickto.js on the first click on its button (docs/sdk.md).
   window.clicktoPanel.open(ctx) shows an accessible dialog in its own shadow root; ctx comes from the tag:
   {base, site, session, channel, rule, label, button}. Sends POST {base}v1/conversations as text/plain JSON. */
(function (w, d) {
  'use strict';
  if (w.clicktoPanel) return;

  var TITLES = { community: 'Ask the community', chat: 'Chat with an advisor' };
  var INTROS = {
    community: 'Experienced customers and our ambassadors answer questions like yours.',
    chat: 'An advisor from our team reads your message and answers you here.'
  };
  var THANKS = {
    community: 'Thanks! Your question was sent to the community. Someone will answer you shortly.',
    chat: 'Thanks! Your message was sent to an advisor. We will answer you shortly.'
  };
  var MAX = 4000; // the service's limit for a message
  var CSS = [
    ':host{all:initial}',
    '*{box-sizing:border-box;font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}',
    '.backdrop{position:fixed;inset:0;background:rgba(15,23,42,.35);z-index:2147483001}',
    '.dialog{position:fixed;right:16px;bottom:16px;width:min(380px,calc(100vw - 32px));max-height:calc(100vh - 32px);overflow:auto;',
    'background:#fff;color:#111827;border-radius:14px;box-shadow:0 12px 40px rgba(0,0,0,.3);padding:20px;z-index:2147483002;',
    'font-size:15px;line-height:1.4;animation:in .18s ease-out}',
    '@keyframes in{from{opacity:0;transform:translateY(12px)}}',
    '@media (prefers-reduced-motion:reduce){.dialog{animation:none}}',
    'h2{margin:0 32px 8px 0;font-size:18px;line-height:1.3}',
    'p{margin:0 0 12px}',
    'label{display:block;font-weight:600;margin:0 0 6px}',
    'textarea{display:block;width:100%;min-height:110px;resize:vertical;padding:10px;border:1px solid #9ca3af;border-radius:8px;font-size:15px;color:inherit;background:#fff}',
    '.row{display:flex;justify-content:flex-end;gap:8px;margin-top:12px}',
    'button{font:inherit;font-weight:600;border-radius:8px;padding:9px 16px;cursor:pointer;border:1px solid transparent}',
    '.send{background:#1d4ed8;color:#fff}.send[disabled]{opacity:.6;cursor:progress}',
    '.chat .send{background:#047857}',
    '.close{position:absolute;top:12px;right:12px;width:34px;height:34px;padding:0;background:transparent;color:#374151;font-size:22px;line-height:1}',
    ':focus-visible{outline:3px solid #f59e0b;outline-offset:2px}',
    '.status{min-height:1.4em;margin:10px 0 0}.status.error{color:#b91c1c}.status.ok{color:#065f46;font-weight:600}',
    '.count{font-size:12px;color:#4b5563;margin-top:4px;text-align:right}'
  ].join('');

  var host = null, state = null;

  function el(tag, attrs, text) {
    var node = d.createElement(tag);
    for (var name in attrs) node.setAttribute(name, attrs[name]);
    if (text) node.textContent = text;
    return node;
  }

  function focusable(root) {
    return Array.prototype.filter.call(
      root.querySelectorAll('button,textarea,[href],input,select,[tabindex]:not([tabindex="-1"])'),
      function (n) { return !n.disabled && n.offsetParent !== null; });
  }

  function close() {
    if (!host) return;
    d.removeEventListener('keydown', state.onKey, true);
    host.remove();
    var back = state.ctx.button;
    host = state = null;
    try { if (back && back.isConnected) back.focus(); } catch (e) {}
  }

  function setStatus(text, kind) {
    state.status.textContent = text;
    state.status.className = 'status ' + (kind || '');
  }

  function send(event) {
    event.preventDefault();
    var s = state, message = s.text.value.trim();
    if (s.busy) return;
    if (!message) {
      setStatus('Please write your question first.', 'error');
      s.text.setAttribute('aria-invalid', 'true');
      s.text.focus();
      return;
    }
    s.text.removeAttribute('aria-invalid');
    s.busy = true;
    s.sendButton.disabled = true;
    setStatus('Sending…');
    var c = s.ctx, body = JSON.stringify({
      site: c.site, session: c.session, channel: c.channel, rule: c.rule || null, message: message.slice(0, MAX)
    });
    fetch(c.base + 'v1/conversations', {
      method: 'POST', body: body, credentials: 'omit', headers: { 'Content-Type': 'text/plain' }
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) {
        if (!r.ok) throw new Error(data && data.error || 'HTTP ' + r.status);
        return data;
      });
    }).then(function (data) {
      if (state !== s) return;
      s.sent = data && data.id;
      s.form.hidden = true;
      setStatus(THANKS[c.channel] || 'Thanks! Your message was sent. We will answer you shortly.', 'ok');
      s.closeButton.focus();
    }, function () {
      if (state !== s) return;
      s.busy = false;
      s.sendButton.disabled = false;
      setStatus('Sorry, your message could not be sent just now. Please try again in a moment.', 'error');
    });
  }

  function open(ctx) {
    if (host) { // already open: bring focus back into it
      state.text.focus();
      return;
    }
    var channel = ctx.channel, title = TITLES[channel] || ctx.label || 'Ask us';
    host = el('div', { 'data-clickto-panel': channel });
    host.style.cssText = 'all:initial;position:fixed;inset:0;z-index:2147483001';
    var root = host.attachShadow({ mode: 'open' });
    var style = el('style');
    style.textContent = CSS;
    var backdrop = el('div', { 'class': 'backdrop' });
    var dialog = el('div', {
      'class': 'dialog ' + channel.replace(/[^\w-]/g, ''), role: 'dialog', 'aria-modal': 'true',
      'aria-labelledby': 'clickto-title', 'aria-describedby': 'clickto-intro', 'data-clickto-panel': channel
    });
    var heading = el('h2', { id: 'clickto-title' }, title);
    var intro = el('p', { id: 'clickto-intro' }, INTROS[channel] || 'Write your question and we will get back to you.');
    var closeButton = el('button', { type: 'button', 'class': 'close', 'aria-label': 'Close' }, '×');
    var form = el('form', { novalidate: '' });
    var label = el('label', { 'for': 'clickto-message' }, channel === 'chat' ? 'Your message' : 'Your question');
    var text = el('textarea', { id: 'clickto-message', name: 'message', maxlength: String(MAX), rows: '4', required: '' });
    var count = el('div', { 'class': 'count', 'aria-hidden': 'true' }, '0 / ' + MAX);
    var row = el('div', { 'class': 'row' });
    var sendButton = el('button', { type: 'submit', 'class': 'send' }, 'Send');
    var status = el('p', { 'class': 'status', role: 'status', 'aria-live': 'polite' });
    row.appendChild(sendButton);
    form.append(label, text, count, row);
    dialog.append(closeButton, heading, intro, form, status);
    root.append(style, backdrop, dialog);

    state = {
      ctx: ctx, text: text, form: form, status: status, sendButton: sendButton, closeButton: closeButton, busy: false,
      onKey: function (e) {
        if (e.key === 'Escape') { e.preventDefault(); close(); return; }
        if (e.key !== 'Tab') return;
        var items = focusable(dialog), first = items[0], last = items[items.length - 1];
        var active = root.activeElement;
        if (!items.length) return;
        if (e.shiftKey && (active === first || !active)) { e.preventDefault(); last.focus(); }
        else if (!e.shiftKey && (active === last || !active)) { e.preventDefault(); first.focus(); }
      }
    };
    closeButton.addEventListener('click', close);
    backdrop.addEventListener('click', close);
    form.addEventListener('submit', send);
    text.addEventListener('input', function () {
      count.textContent = text.value.length + ' / ' + MAX;
      if (text.value.trim()) text.removeAttribute('aria-invalid');
    });
    d.addEventListener('keydown', state.onKey, true);
    (d.body || d.documentElement).appendChild(host);
    text.focus();
  }

  w.clicktoPanel = { open: open, close: close };
})(window, document);
