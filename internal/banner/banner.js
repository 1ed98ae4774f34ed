/* privaq cookie banner (docs/banner.md). Hand-written, no dependency, no
   build step: the server inlines the organization's configuration in place
   of __PRIVAQ_CONFIG__ and minifies the whole. Keys of the configuration:
   r revision, n organization, e consent endpoint, l languages, u policy
   link, p position, c colours, m re-consent months, k categories (id, s
   services: n name, p provider, c cookies: n name, u purpose, d duration). */
((C) => {
  'use strict';
  const w = window, d = document, n = navigator;
  const me = d.currentScript;
  const base = (me && me.src) || location.href;
  const preview = !!me && me.hasAttribute('data-privaq-preview');
  const NEC = 'necessary';
  const OPT = C.k.map((k) => k.id).filter((id) => id != NEC);
  // Global Privacy Control refuses statistics and marketing without asking.
  const GPC = n.globalPrivacyControl === true;
  const locked = (id) => GPC && (id == 'statistics' || id == 'marketing');
  const L = [d.documentElement.lang, n.language].map((x) => (x || '').slice(0, 2).toLowerCase()).find((x) => C.l.includes(x)) || 'fr';
  const T = {
    fr: {
      title: 'Vos choix en matière de témoins',
      intro: ' utilise des témoins (cookies) nécessaires au fonctionnement du site et, avec votre accord seulement, d’autres témoins décrits par catégorie. Vous pouvez changer d’avis à tout moment.',
      policy: 'Politique de confidentialité',
      accept: 'Tout accepter', refuse: 'Tout refuser', custom: 'Personnaliser', save: 'Enregistrer mes choix', close: 'Fermer',
      necessary: 'Nécessaires', preferences: 'Préférences', statistics: 'Statistiques', marketing: 'Marketing',
      d_necessary: 'Toujours actifs : le site ne peut pas fonctionner sans eux.',
      d_preferences: 'Retiennent vos réglages, comme la langue.',
      d_statistics: 'Mesurent la fréquentation du site pour l’améliorer.',
      d_marketing: 'Servent à la publicité et au suivi d’une visite à l’autre.',
      services: 'Services et témoins', dur: 'durée : ',
      gpc: 'Votre navigateur envoie le signal Global Privacy Control : les témoins de statistiques et de marketing sont refusés.',
      locked: 'Refusés par le signal Global Privacy Control de votre navigateur.',
    },
    en: {
      title: 'Your cookie choices',
      intro: ' uses cookies that the site needs to work and, only with your agreement, other cookies described by category. You can change your mind at any time.',
      policy: 'Privacy policy',
      accept: 'Accept all', refuse: 'Refuse all', custom: 'Customize', save: 'Save my choices', close: 'Close',
      necessary: 'Necessary', preferences: 'Preferences', statistics: 'Statistics', marketing: 'Marketing',
      d_necessary: 'Always on: the site cannot work without them.',
      d_preferences: 'Remember your settings, such as the language.',
      d_statistics: 'Measure the site’s traffic to improve it.',
      d_marketing: 'Used for advertising and tracking from one visit to the next.',
      services: 'Services and cookies', dur: 'duration: ',
      gpc: 'Your browser sends the Global Privacy Control signal: statistics and marketing cookies are refused.',
      locked: 'Refused by your browser’s Global Privacy Control signal.',
    },
  }[L];
  const tx = (t) => (t && (t[L] || t.fr)) || '';

  // Google Consent Mode v2: everything but security denied until a choice.
  const GCM = {statistics: ['analytics_storage'], marketing: ['ad_storage', 'ad_user_data', 'ad_personalization'],
    preferences: ['functionality_storage', 'personalization_storage']};
  w.dataLayer = w.dataLayer || [];
  const gtag = w.gtag || function () { w.dataLayer.push(arguments); };
  const signals = (g) => {
    const s = {security_storage: 'granted'};
    for (const c in GCM) for (const k of GCM[c]) s[k] = g.includes(c) ? 'granted' : 'denied';
    return s;
  };
  gtag('consent', 'default', signals([]));

  // The choice: privaq_consent = revision.date(base 36).visitor.granted-categories
  const NAME = 'privaq_consent';
  const m = d.cookie.match(/(?:^|; )privaq_consent=([^;]*)/);
  const st = m && m[1].split('.');
  const visitor = st && /^[0-9a-f]{32}$/.test(st[2]) ? st[2]
    : Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => (b + 256).toString(16).slice(1)).join('');
  let granted = null;
  if (st && st[0] == C.r) {
    const until = new Date(parseInt(st[1], 36));
    until.setMonth(until.getMonth() + C.m);
    if (until > new Date()) granted = (st[3] || '').split('-').filter((c) => OPT.includes(c) && !locked(c));
  }
  const ok = (c) => c == NEC || (!!granted && granted.includes(c));

  // Tagged scripts and iframes run only once their category is granted,
  // including those added later.
  const SEL = 'script[type="text/plain"][data-category],iframe[data-src][data-category]';
  const act = (e) => {
    if (!ok(e.dataset.category)) return;
    if (e.tagName == 'IFRAME') {
      e.src = e.dataset.src;
      e.removeAttribute('data-src');
      return;
    }
    const s = d.createElement('script');
    for (const a of e.attributes) if (a.name != 'type') s.setAttribute(a.name, a.value);
    if (e.dataset.type) s.type = e.dataset.type;
    s.nonce = e.nonce;
    s.text = e.text;
    e.replaceWith(s);
  };
  const scan = (r) => {
    if (r.matches && r.matches(SEL)) act(r);
    if (r.querySelectorAll) r.querySelectorAll(SEL).forEach(act);
  };
  new MutationObserver((ms) => ms.forEach((x) => x.addedNodes.forEach(scan))).observe(d.documentElement, {childList: true, subtree: true});

  // Refused categories lose the first-party cookies the inventory names.
  const purge = () => {
    for (const k of C.k) {
      if (ok(k.id)) continue;
      for (const s of k.s) for (const c of s.c) {
        const re = new RegExp('^' + c.n.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*') + '$');
        for (const x of d.cookie.split('; ')) {
          const name = x.split('=')[0];
          if (!re.test(name)) continue;
          // Host-only, then on each parent domain a script may have used.
          const parts = location.hostname.split('.');
          d.cookie = name + '=; path=/; max-age=0';
          for (let i = 0; i < parts.length - 1; i++) d.cookie = name + '=; path=/; max-age=0; domain=' + parts.slice(i).join('.');
        }
      }
    }
  };
  const apply = () => {
    gtag('consent', 'update', signals(granted));
    scan(d);
    purge();
    w.dispatchEvent(new CustomEvent('privaq:consent', {detail: {categories: granted.slice()}}));
  };

  const save = (g, action) => {
    if (preview) return show();
    granted = g;
    d.cookie = NAME + '=' + [C.r, Date.now().toString(36), visitor, g.join('-')].join('.') + '; path=/; max-age=' + C.m * 2678400 +
      '; SameSite=Lax' + (location.protocol == 'https:' ? '; Secure' : '');
    const cats = {};
    for (const c of OPT) if (action != 'gpc' || locked(c)) cats[c] = g.includes(c);
    n.sendBeacon(new URL(C.e, base), JSON.stringify({visitor, revision: C.r, categories: cats, gpc: GPC, action}));
    close();
    apply();
  };

  // The dialog lives in a shadow root: the page's styles cannot reach it
  // and its styles cannot leak; it is fixed, so the page never moves. The
  // page's rules do match the host element, and win over :host, so the
  // dialog resets what it would inherit from there (all:initial).
  const [BG, FG, AC, AT] = C.c;
  const CSS = `:host{all:initial}
.d{all:initial;display:block;position:fixed;z-index:2147483647;box-sizing:border-box;max-height:calc(100vh - 16px);overflow:auto;padding:16px 20px;background:${BG};color:${FG};font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;box-shadow:0 0 0 1px ${FG}33,0 4px 24px #0004}
.bottom{left:0;right:0;bottom:0}.bottom>*{max-width:60rem;margin-inline:auto}
.center{top:50%;left:50%;transform:translate(-50%,-50%);width:min(40rem,calc(100vw - 24px));border-radius:8px}
h2{font-size:1.2em;margin:0 0 .4em}h3{font-size:1em;margin:0}p{margin:.3em 0}a{color:inherit}
.a{display:flex;flex-wrap:wrap;gap:8px;margin-top:12px}
.a button{flex:1 1 10em;min-height:44px;padding:8px 16px;border:2px solid ${AC};border-radius:6px;background:${AC};color:${AT};font:inherit;font-weight:600;cursor:pointer}
:focus-visible{outline:3px solid ${FG};outline-offset:2px}[tabindex="-1"]:focus{outline:0}
section{margin-top:12px;border-top:1px solid ${FG}55;padding-top:8px}
.r{display:flex;justify-content:space-between;align-items:center;gap:12px}
[role=switch]{flex:none;position:relative;width:52px;height:30px;padding:0;border:2px solid ${FG};border-radius:15px;background:${BG};cursor:pointer}
[role=switch]::before{content:"";position:absolute;top:4px;left:4px;width:18px;height:18px;border-radius:50%;background:${FG};transition:left .15s}
[aria-checked=true]{background:${AC};border-color:${AC}}[aria-checked=true]::before{left:26px;background:${AT}}
[role=switch]:disabled{cursor:not-allowed;opacity:.7}
summary{cursor:pointer;padding:4px 0}ul{margin:.2em 0;padding-left:1.2em}li{margin:.15em 0}
.g{font-weight:600}
@media (prefers-reduced-motion:reduce){*{transition:none!important}}`;

  const h = (tag, a, ...kids) => {
    const e = d.createElement(tag);
    for (const k in a) e.setAttribute(k, a[k]);
    e.append(...kids);
    return e;
  };
  const btn = (label, f) => {
    const b = h('button', {type: 'button'}, label);
    b.onclick = f;
    return b;
  };
  let host, prev;
  const close = () => {
    if (!host) return;
    host.remove();
    host = null;
    if (prev && prev.focus && d.contains(prev)) prev.focus();
    prev = null;
  };
  const mount = (el, focus) => {
    close();
    if (focus) prev = d.activeElement;
    host = h('div', {id: 'privaq-banner'});
    const root = host.attachShadow({mode: 'open'});
    if (root.adoptedStyleSheets) {
      // A constructed sheet works under a page's strict style-src.
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } else root.append(h('style', {}, CSS));
    root.append(el);
    d.body.append(host);
    if (focus) focus.focus();
    return root;
  };

  const show = (custom) => {
    if (!OPT.length) return;
    const sw = {};
    // The details are built when first opened: the first view stays a
    // dozen nodes, painted sooner.
    const category = (k) => {
      const id = k.id, on = id == NEC || (ok(id) && !locked(id));
      const s = h('button', {type: 'button', role: 'switch', 'aria-checked': String(on), 'aria-labelledby': 'h-' + id, 'aria-describedby': 'e-' + id});
      if (id == NEC || locked(id)) s.disabled = true;
      else s.onclick = () => s.setAttribute('aria-checked', String(s.getAttribute('aria-checked') != 'true'));
      sw[id] = s;
      return h('section', {'aria-labelledby': 'h-' + id},
        h('div', {class: 'r'}, h('h3', {id: 'h-' + id}, T[id]), s),
        h('p', {id: 'e-' + id}, locked(id) ? T.locked : T['d_' + id]),
        h('details', {}, h('summary', {}, T.services + ' (' + k.s.reduce((a, s) => a + s.c.length, 0) + ')'),
          h('ul', {}, ...k.s.map((s) => h('li', {}, h('strong', {}, s.n), s.p && s.p != s.n ? ' (' + s.p + ')' : '',
            h('ul', {}, ...s.c.map((c) => h('li', {}, h('code', {}, c.n), ' : ' + tx(c.u) + ' (' + T.dur + tx(c.d) + ')'))))))));
    };
    const panel = h('div', {});
    const more = btn(T.custom, () => {
      if (panel.hidden) expand(true);
      else save(OPT.filter((c) => sw[c].getAttribute('aria-checked') == 'true'), 'custom');
    });
    const expand = (open) => {
      if (open && !panel.firstChild) panel.append(...C.k.map(category));
      panel.hidden = !open;
      more.textContent = open ? T.save : T.custom;
      if (open) (root.querySelector('[role=switch]:enabled') || root.querySelector('summary')).focus();
      else more.focus();
    };
    const dlg = h('div', {class: 'd ' + C.p, role: 'dialog', 'aria-modal': 'true', 'aria-labelledby': 't', 'aria-describedby': 'x', tabindex: '-1', lang: L},
      h('h2', {id: 't'}, T.title),
      h('p', {id: 'x'}, C.n + T.intro + ' ', h('a', {href: new URL(tx(C.u), base)}, T.policy)),
      GPC ? h('p', {class: 'g'}, T.gpc) : '',
      panel,
      h('div', {class: 'a'},
        btn(T.accept, () => save(OPT.filter((c) => !locked(c)), 'accept_all')),
        btn(T.refuse, () => save([], 'refuse_all')),
        more));
    dlg.onkeydown = (e) => {
      if (e.key == 'Escape') {
        // Escape goes back one step, never decides: out of the details,
        // then, when a choice exists, out of the dialog keeping it.
        if (!panel.hidden) expand(false);
        else if (granted) close();
      } else if (e.key == 'Tab') {
        const f = [...root.querySelectorAll('a,button:enabled,summary')].filter((x) => x.getClientRects().length);
        const a = root.activeElement, first = f[0], last = f[f.length - 1];
        if (e.shiftKey ? a == first || a == dlg : a == last) {
          e.preventDefault();
          (e.shiftKey ? last : first).focus();
        }
      }
    };
    panel.hidden = true;
    const root = mount(dlg, dlg);
    if (custom) expand(true);
  };

  // A small notice, which takes no focus, says what the GPC signal did.
  const notice = () => mount(h('div', {class: 'd ' + C.p, role: 'region', 'aria-label': T.title, lang: L},
    h('p', {class: 'g'}, T.gpc),
    h('div', {class: 'a'}, btn(T.custom, () => show(true)), btn(T.close, close))));

  const ready = (f) => (d.body ? f() : d.addEventListener('DOMContentLoaded', f));
  w.privaq = {show: () => ready(() => show()), consent: () => granted && granted.slice(), revision: C.r, visitor};
  d.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('[data-privaq-open]')) {
      e.preventDefault();
      w.privaq.show();
    }
  });
  if (preview) ready(() => show());
  else if (granted) apply();
  else {
    scan(d);
    if (GPC && OPT.some(locked)) {
      save([], 'gpc');
      ready(notice);
    } else if (OPT.length) ready(() => show());
  }
})(__PRIVAQ_CONFIG__);
