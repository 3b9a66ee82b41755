// headcount.js: the status page — bearer token handling, live updates from the event stream, rendering (textContent only).
// Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
'use strict';

(() => {
	const TOKEN_KEY = 'headcount.token';
	// The stream says when something changed; a change re-reads the state (coalesced).
	const STREAM_PATH = 'api/v1/realtime/events';
	const STREAM_CHANNELS = ['events:instances', 'events:flags'];
	const COALESCE_MS = 150;	// a burst of events (a prune of many) is one re-read
	const RETRY_MIN_MS = 1000, RETRY_MAX_MS = 30000;
	const STATUS_LABELS = {
		healthy: 'Healthy',
		under_replicated: 'Under-replicated',
		over_replicated: 'Over-replicated',
		unknown: 'Unknown',
	};
	const SOURCE_LABELS = {
		env: 'DESIRED_REPLICAS',
		digitalocean: 'DigitalOcean',
		kubernetes: 'Kubernetes',
		none: 'no source configured',
	};

	const $ = (id) => document.getElementById(id);

	let token = null;	// the bearer token in use (also in sessionStorage)
	let memoryToken = null;	// when sessionStorage is unavailable (privacy modes)
	let refusedToken = null;	// a token the API answered 401/403 for: not sent again
	let timer = null;
	let inflight = false;

	// ------------------------------------------------------------ token storage
	function loadToken() {
		try {
			return sessionStorage.getItem(TOKEN_KEY) || memoryToken;
		} catch (e) {
			return memoryToken;
		}
	}
	function saveToken(t) {
		memoryToken = t;
		try {
			if (t) sessionStorage.setItem(TOKEN_KEY, t);
			else sessionStorage.removeItem(TOKEN_KEY);
		} catch (e) { /* memoryToken still holds it for this page */ }
		token = t;
		refusedToken = null;
	}
	function cleanToken(s) {
		return String(s || '').trim().replace(/^Bearer\s+/i, '').trim();
	}

	// #token=<jwt> in the address: take it, then drop it from the address bar and history.
	function takeTokenFromFragment() {
		if (!location.hash || location.hash.length < 2) return false;
		const params = new URLSearchParams(location.hash.slice(1));
		if (!params.has('token')) return false;
		const t = cleanToken(params.get('token'));
		params.delete('token');
		const rest = params.toString();
		history.replaceState(history.state, '',
			location.pathname + location.search + (rest ? '#' + rest : ''));
		if (t) saveToken(t);
		return true;
	}

	// The payload of a JWT, for display only: the API checks the signature, never this page.
	function decodeClaims(t) {
		const parts = (t || '').split('.');
		if (parts.length !== 3) return null;
		try {
			let b64 = parts[1].replace(/-/g, '+').replace(/_/g, '/');
			b64 += '='.repeat((4 - (b64.length % 4)) % 4);
			const bin = atob(b64);
			const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
			const claims = JSON.parse(new TextDecoder().decode(bytes));
			return claims && typeof claims === 'object' && !Array.isArray(claims) ? claims : null;
		} catch (e) {
			return null;
		}
	}

	// ------------------------------------------------------------ HTTP
	// api(path, opts) -> {status, body, error}: status 0 on a network error; never throws.
	async function api(path, { method = 'GET', auth = true } = {}) {
		const headers = { Accept: 'application/json, application/problem+json' };
		if (auth && token) headers.Authorization = 'Bearer ' + token;
		let res;
		try {
			res = await fetch(path, { method, headers, cache: 'no-store', credentials: 'omit' });
		} catch (e) {
			return { status: 0, body: null, error: 'Network error: ' + (e && e.message ? e.message : e) };
		}
		let body = null;
		try {
			const text = await res.text();
			body = text ? JSON.parse(text) : null;
		} catch (e) {
			body = null;
		}
		return { status: res.status, body, error: null };
	}

	// The problem+json detail of a failed answer, as one line.
	function problemText(r) {
		if (r.status === 0) return r.error || 'Network error';
		const b = r.body && typeof r.body === 'object' ? r.body : {};
		const title = typeof b.title === 'string' ? b.title : '';
		const detail = typeof b.detail === 'string' ? b.detail : '';
		let s = 'HTTP ' + r.status + (title ? ' ' + title : '');
		if (detail) s += ': ' + detail;
		return s;
	}

	// ------------------------------------------------------------ DOM helpers (no innerHTML)
	function el(tag, attrs, ...children) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined || v === false) continue;
			if (k === 'class') e.className = v;
			else e.setAttribute(k, v === true ? '' : String(v));
		}
		for (const c of children) {
			if (c === null || c === undefined) continue;
			e.append(c instanceof Node ? c : document.createTextNode(String(c)));
		}
		return e;
	}
	function setText(id, v) {
		$(id).textContent = v === null || v === undefined || v === '' ? '—' : String(v);
	}
	function replaceChildren(node, ...kids) {
		while (node.firstChild) node.removeChild(node.firstChild);
		for (const k of kids) node.append(k);
	}
	function timeEl(iso) {
		if (typeof iso !== 'string' || !iso) return document.createTextNode('—');
		const d = new Date(iso);
		return el('time', { datetime: iso, title: isNaN(d) ? null : d.toLocaleString() },
			iso.replace('T', ' '));
	}
	function duration(seconds) {
		let s = Math.max(0, Math.floor(seconds));
		const d = Math.floor(s / 86400); s -= d * 86400;
		const h = Math.floor(s / 3600); s -= h * 3600;
		const m = Math.floor(s / 60); s -= m * 60;
		if (d) return d + 'd ' + h + 'h';
		if (h) return h + 'h ' + m + 'm';
		if (m) return m + 'm ' + s + 's';
		return s + 's';
	}

	// ------------------------------------------------------------ banners and token form
	function showError(title, detail) {
		setText('error-title', title);
		$('error-detail').textContent = detail || '';
		$('error').hidden = false;
	}
	function hideError() {
		$('error').hidden = true;
		$('error-title').textContent = '';
		$('error-detail').textContent = '';
	}
	function showTokenForm(why, focus) {
		$('token-why').textContent = why;
		$('token-section').hidden = false;
		if (focus) $('token-input').focus();
	}
	function hideTokenForm() {
		$('token-section').hidden = true;
	}

	function renderWho() {
		const who = $('who');
		const claims = token ? decodeClaims(token) : null;
		$('token-change').hidden = !token;
		$('token-forget').hidden = !token;
		if (!token) {
			replaceChildren(who, document.createTextNode('No token'));
			return claims;
		}
		if (!claims) {
			replaceChildren(who, document.createTextNode('Token (not a readable JWT)'));
			return claims;
		}
		const parts = [];
		if (typeof claims.sub === 'string') parts.push(el('span', { class: 'mono' }, claims.sub), ' ');
		if (typeof claims.role === 'string') parts.push(el('span', { class: 'role', id: 'role' }, claims.role));
		if (typeof claims.exp === 'number') {
			const left = claims.exp - Date.now() / 1000;
			parts.push(' ', left > 0 ? '(expires in ' + duration(left) + ')' : '(expired)');
		}
		replaceChildren(who, ...parts);
		return claims;
	}

	// ------------------------------------------------------------ rendering the replica state
	function clearReplicas() {
		renderSummary(null);
		replaceChildren($('recommendations'), el('li', { class: 'muted' }, '—'));
		replaceChildren($('instances-body'), el('tr', {}, el('td', { colspan: 7, class: 'muted' }, '—')));
		$('inst-count').textContent = '';
		$('fallback').hidden = true;
		$('self-preservation').hidden = true;
	}

	function renderSummary(s) {
		const status = s && Object.prototype.hasOwnProperty.call(STATUS_LABELS, s.status) ? s.status : 'unknown';
		const st = $('status');
		st.textContent = s ? STATUS_LABELS[status] : '—';
		st.dataset.status = status;
		$('status-box').className = 'status status-' + status;
		document.body.dataset.status = s ? status : '';

		const num = (v) => (typeof v === 'number' ? v : null);
		setText('configured', s ? (num(s.configured_replicas) ?? 'not set') : null);
		const src = s && typeof s.configured_source === 'string' ? s.configured_source : null;
		$('configured-source').textContent = src
			? 'source: ' + src + (SOURCE_LABELS[src] && SOURCE_LABELS[src] !== src ? ' (' + SOURCE_LABELS[src] + ')' : '')
			: '';
		setText('active', s ? num(s.active_instances) : null);
		setText('stale', s ? num(s.stale_instances) : null);

		const ms = $('mismatch-since');
		if (s && typeof s.mismatch_since === 'string') {
			const since = Date.parse(s.mismatch_since);
			const ref = typeof s.checked_at === 'string' ? Date.parse(s.checked_at) : Date.now();
			replaceChildren(ms, timeEl(s.mismatch_since),
				isNaN(since) || isNaN(ref) ? '' : ' (for ' + duration((ref - since) / 1000) + ')');
		} else {
			replaceChildren(ms, document.createTextNode(s ? (status === 'healthy' ? 'no mismatch' : '—') : '—'));
		}
		replaceChildren($('checked-at'), s && s.checked_at ? timeEl(s.checked_at) : document.createTextNode('—'));
		$('self-preservation').hidden = !(s && s.self_preservation === true);
	}

	function renderRecommendations(recs) {
		const ul = $('recommendations');
		if (!Array.isArray(recs)) {
			replaceChildren(ul, el('li', { class: 'muted' }, 'Not available: the monitoring program did not answer.'));
			return;
		}
		if (recs.length === 0) {
			replaceChildren(ul, el('li', { class: 'muted' }, 'None.'));
			return;
		}
		replaceChildren(ul, ...recs.map((r) => el('li', {}, typeof r === 'string' ? r : JSON.stringify(r))));
	}

	function metaList(meta) {
		if (!meta || typeof meta !== 'object' || Object.keys(meta).length === 0) return document.createTextNode('—');
		const keys = Object.keys(meta).sort();
		return el('ul', { class: 'meta' }, ...keys.map((k) =>
			el('li', {}, el('span', { class: 'k' }, k + '='), String(meta[k]))));
	}

	function renderInstances(list) {
		const body = $('instances-body');
		if (!Array.isArray(list) || list.length === 0) {
			replaceChildren(body, el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No instances registered.')));
			$('inst-count').textContent = '(0)';
			return;
		}
		$('inst-count').textContent = '(' + list.length + ')';
		const rows = list.map((i) => {
			const stale = i.is_stale === true;
			return el('tr', { class: stale ? 'is-stale' : null, 'data-instance-id': i.instance_id },
				el('th', { scope: 'row', class: 'id mono' }, i.instance_id ?? '?'),
				el('td', { 'data-label': 'Hostname' }, i.hostname ?? '—'),
				el('td', { 'data-label': 'Started' }, timeEl(i.started_at)),
				el('td', { 'data-label': 'Last heartbeat' }, timeEl(i.last_heartbeat)),
				el('td', { 'data-label': 'Age (s)', class: 'num' },
					typeof i.seconds_since_heartbeat === 'number' ? i.seconds_since_heartbeat : '—'),
				el('td', { 'data-label': 'State' },
					el('span', { class: 'badge ' + (stale ? 'badge-warn' : 'badge-ok') }, stale ? 'stale' : 'active')),
				el('td', { 'data-label': 'Meta' }, metaList(i.meta)));
		});
		replaceChildren(body, ...rows);
	}

	// /health/instances -> the /monitoring/replicas shape; status worked out here.
	function fromInstances(b) {
		const desired = typeof b.desired_replicas === 'number' ? b.desired_replicas : null;
		const active = typeof b.active_instances === 'number' ? b.active_instances : 0;
		let status = 'unknown';
		if (desired !== null) {
			status = active === desired ? 'healthy' : active < desired ? 'under_replicated' : 'over_replicated';
		}
		return {
			summary: {
				configured_replicas: desired, configured_source: null,
				active_instances: active, stale_instances: b.stale_instances,
				status, mismatch_since: null, self_preservation: false, checked_at: null,
			},
			instances: b.registered_instances,
			recommendations: null,
		};
	}

	function renderReplicas(data, fallback) {
		renderSummary(data.summary || null);
		renderRecommendations(data.recommendations);
		renderInstances(data.instances);
		$('fallback').hidden = !fallback;
		document.body.dataset.view = fallback ? 'fallback' : 'monitoring';
	}

	function renderChecks(r) {
		const body = $('checks-body');
		const b = r.body && typeof r.body === 'object' ? r.body : null;
		if (!b || (r.status !== 200 && r.status !== 503) || !b.checks || typeof b.checks !== 'object') {
			$('node-status').textContent = '';
			replaceChildren(body, el('tr', {}, el('td', { colspan: 4 }, 'Readiness unavailable: ' + problemText(r))));
			return;
		}
		$('node-status').textContent = b.status === 'ready' ? '(ready)' : '(not ready)';
		const names = Object.keys(b.checks).sort();
		if (names.length === 0) {
			replaceChildren(body, el('tr', {}, el('td', { colspan: 4, class: 'muted' }, 'No checks.')));
			return;
		}
		replaceChildren(body, ...names.map((n) => {
			const c = b.checks[n] || {};
			const pass = c.status === 'pass';
			return el('tr', {},
				el('th', { scope: 'row' }, n),
				el('td', { 'data-label': 'Result' },
					el('span', { class: 'badge ' + (pass ? 'badge-ok' : 'badge-bad') }, pass ? 'pass' : String(c.status ?? 'fail'))),
				el('td', { 'data-label': 'Latency (ms)', class: 'num' },
					typeof c.latency_ms === 'number' ? c.latency_ms.toFixed(1) : '—'),
				typeof c.error === 'string' && c.error ? el('td', { 'data-label': 'Error' }, c.error) : el('td', {}));
		}));
	}

	function markUpdated() {
		const now = new Date();
		const t = $('updated');
		t.dateTime = now.toISOString();
		t.textContent = now.toLocaleTimeString();
	}

	// 401/403: the token cannot be used; stop sending it and ask for another.
	function authRefused(r, claims) {
		refusedToken = token;
		const detail = problemText(r);
		if (r.status === 403) {
			const role = claims && typeof claims.role === 'string' ? claims.role : 'unknown';
			showError('Insufficient role.', 'This token (role ' + role + ') may not read the replica status (' +
				detail + '). Paste a token with role user, admin or owner.');
			showTokenForm('Paste a token with role user, admin or owner.', false);
			document.body.dataset.auth = 'forbidden';
		} else {
			showError('Token refused.', 'The API did not accept this token — it is missing, expired or invalid (' +
				detail + '). Paste a new token.');
			showTokenForm('Your token was refused: paste a new one.', false);
			document.body.dataset.auth = 'refused';
		}
		$('owner-actions').hidden = true;
		clearReplicas();
	}

	// ------------------------------------------------------------ feature flags
	function canChangeFlags(claims) {
		return !!(claims && (claims.role === 'admin' || claims.role === 'owner'));
	}

	function clearFlags(note) {
		replaceChildren($('flags-list'), el('li', { class: 'muted' }, '—'));
		$('flags-count').textContent = '';
		$('flags-note').textContent = note || '';
		$('flags-note').hidden = !note;
	}

	function renderFlags(r, claims) {
		const b = r.body && typeof r.body === 'object' ? r.body : null;
		if (r.status !== 200 || !b || !b.flags || typeof b.flags !== 'object') {
			clearFlags('Flags unavailable: ' + problemText(r));
			document.body.dataset.flags = 'unavailable';
			return;
		}
		const names = Object.keys(b.flags).sort();
		const admin = canChangeFlags(claims);
		$('flags-count').textContent = '(' + names.length + ')';
		$('flags-note').hidden = b.stale !== true;
		$('flags-note').textContent = b.stale === true
			? 'Redis is unreachable: these are the last values seen, and changes cannot be made now.' : '';
		document.body.dataset.flags = b.stale === true ? 'stale' : 'ok';
		if (names.length === 0) {
			replaceChildren($('flags-list'), el('li', { class: 'muted' }, 'No flags set.'));
			return;
		}
		replaceChildren($('flags-list'), ...names.map((n) => {
			const on = b.flags[n] === true;
			return el('li', { 'data-flag': n, 'data-enabled': on ? 'true' : 'false' },
				el('span', { class: 'flag-name mono' }, n),
				el('span', { class: 'badge ' + (on ? 'badge-ok' : 'badge-off') }, on ? 'on' : 'off'),
				admin ? el('button', { type: 'button', class: 'flag-toggle', 'data-flag': n,
					'aria-pressed': on ? 'true' : 'false',
					'aria-label': (on ? 'Turn off ' : 'Turn on ') + n }, on ? 'Turn off' : 'Turn on') : null);
		}));
	}

	async function refreshFlags(claims) {
		renderFlags(await api('api/v1/flags'), claims);
	}

	async function toggleFlag(btn) {
		const name = btn.dataset.flag;
		const want = btn.getAttribute('aria-pressed') !== 'true';
		const out = $('flags-result');
		btn.disabled = true;
		out.className = 'flags-result';
		out.textContent = 'Saving ' + name + '…';
		try {
			const r = await api('api/v1/flags/' + encodeURIComponent(name) + '?enabled=' + want, { method: 'PUT' });
			if (r.status === 200 && r.body && typeof r.body === 'object') {
				out.textContent = name + ' is now ' + (r.body.enabled === true ? 'on' : 'off') + '.';
			} else {
				out.className = 'flags-result is-error';
				out.textContent = 'Change failed: ' + problemText(r);
			}
		} finally {
			btn.disabled = false;
		}
		await refreshFlags(decodeClaims(token));
	}

	// ------------------------------------------------------------ one refresh
	async function refresh() {
		const readyP = api('api/v1/health/ready', { auth: false });
		const claims = renderWho();
		let updated = false;

		if (!token) {
			document.body.dataset.auth = 'none';
			hideError();
			clearReplicas();
			clearFlags('');
			$('owner-actions').hidden = true;
			showTokenForm('Paste a bearer token (role user or higher) to see the replica status.', false);
		} else if (token === refusedToken) {
			// Already refused: wait for a new token rather than hammer the API.
		} else {
			const flagsP = api('api/v1/flags');
			let r = await api('api/v1/monitoring/replicas');
			let fallback = false;
			if (r.status === 404 || r.status === 502) {
				const r2 = await api('api/v1/health/instances');
				if (r2.status === 200 && r2.body && typeof r2.body === 'object') {
					r = { status: 200, body: fromInstances(r2.body) };
					fallback = true;
				} else if (r2.status === 401 || r2.status === 403 || r2.status === 0 || r2.status >= 500) {
					r = r2;
				}
			}
			if (r.status === 200 && r.body && typeof r.body === 'object') {
				hideError();
				hideTokenForm();
				document.body.dataset.auth = 'ok';
				renderReplicas(r.body, fallback);
				$('owner-actions').hidden = !(claims && claims.role === 'owner');
				updated = true;
			} else if (r.status === 401 || r.status === 403) {
				authRefused(r, claims);
			} else {
				showError(r.status === 0 ? 'Cannot reach the API.' : 'The API answered with an error.', problemText(r));
			}
			const fr = await flagsP;
			if (token !== refusedToken) renderFlags(fr, claims);
			else clearFlags('');
		}

		const ready = await readyP;
		renderChecks(ready);
		if (updated || (!token && (ready.status === 200 || ready.status === 503))) markUpdated();
	}

	async function prune() {
		const btn = $('prune');
		const out = $('prune-result');
		btn.disabled = true;
		out.textContent = 'Pruning…';
		try {
			const r = await api('api/v1/monitoring/replicas/refresh', { method: 'POST' });
			if (r.status === 200 && r.body && typeof r.body === 'object') {
				const ids = Array.isArray(r.body.pruned) ? r.body.pruned : [];
				out.textContent = ids.length ? 'Pruned ' + ids.length + ': ' + ids.join(', ') : 'No stale instances to prune.';
				if (r.body.summary) renderSummary(r.body.summary);
			} else if (r.status === 401 || r.status === 403) {
				out.textContent = '';
				authRefused(r, decodeClaims(token));
			} else {
				out.textContent = 'Prune failed: ' + problemText(r);
			}
		} finally {
			btn.disabled = false;
		}
		await tick();
	}

	// ------------------------------------------------------------ updates: the event stream
	// No polling loop: the page reads the state once, then again whenever the
	// events stream announces a change (or says "reset": it missed some).  The
	// browser's EventSource reconnects by itself and resumes with Last-Event-ID;
	// when it gives up (the stream answered an error, say a restart's 502), the
	// page opens a new one after a growing pause and re-reads the state, since
	// what happened meanwhile cannot be resumed.
	let stream = null;
	let streamToken = null;
	let retryMs = RETRY_MIN_MS;
	let retryTimer = null;
	let again = false;

	function setLive(state, text) {
		document.body.dataset.live = state;
		$('live').textContent = text;
	}
	function showEvent(channel, data) {
		const d = data && typeof data === 'object' ? data : {};
		const what = [channel, d.event, d.name || d.instance_id,
			typeof d.enabled === 'boolean' ? (d.enabled ? '(on)' : '(off)') : null]
			.filter((x) => typeof x === 'string' && x).join(' ');
		const t = $('last-event');
		t.textContent = what;
		t.dataset.channel = channel;
		if (d.name) t.dataset.name = String(d.name);
		if (d.instance_id) t.dataset.instanceId = String(d.instance_id);
		if (typeof d.enabled === 'boolean') t.dataset.enabled = String(d.enabled);
	}
	function changed() {
		clearTimeout(timer);
		timer = setTimeout(tick, COALESCE_MS);
	}
	function closeStream() {
		clearTimeout(retryTimer);
		retryTimer = null;
		if (stream) stream.close();
		stream = null;
		streamToken = null;
	}
	function openStream() {
		if (stream && streamToken === token) return;
		closeStream();
		if (!token || token === refusedToken || typeof EventSource !== 'function') {
			setLive('off', typeof EventSource === 'function' ? 'not connected' : 'no EventSource in this browser');
			return;
		}
		const qs = new URLSearchParams({ channels: STREAM_CHANNELS.join(','), access_token: token });
		const es = new EventSource(STREAM_PATH + '?' + qs.toString());
		stream = es;
		streamToken = token;
		setLive('connecting', 'connecting…');
		es.onopen = () => {
			retryMs = RETRY_MIN_MS;
			setLive('on', 'live');
		};
		const onMessage = (ev) => {
			let m = null;
			try { m = JSON.parse(ev.data); } catch (e) { m = null; }
			showEvent(ev.type, m && typeof m === 'object' ? m.data : null);
			changed();
		};
		for (const ch of STREAM_CHANNELS) es.addEventListener(ch, onMessage);
		es.addEventListener('reset', () => {	// it missed some: read everything again
			const t = $('last-event');
			t.textContent = 'reset (the stream missed some): state read again';
			t.dataset.channel = 'reset';
			changed();
		});
		es.onerror = () => {
			if (es !== stream) return;
			if (es.readyState === EventSource.CONNECTING) {
				setLive('connecting', 'reconnecting…');	// the browser resumes with Last-Event-ID
				return;
			}
			// closed for good: a fresh stream later, and the state read again now
			stream = null;
			streamToken = null;
			setLive('off', 'disconnected; retrying in ' + Math.round(retryMs / 1000) + ' s');
			retryTimer = setTimeout(() => { openStream(); tick(); }, retryMs);
			retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
		};
	}

	async function tick() {
		clearTimeout(timer);
		timer = null;
		if (inflight) {	// one more read once the running one is done
			again = true;
			return;
		}
		inflight = true;
		try {
			await refresh();
		} catch (e) {
			showError('The page failed to update.', String(e && e.message ? e.message : e));
		} finally {
			inflight = false;
			openStream();
			if (again) {
				again = false;
				changed();
			}
		}
	}

	function start() {
		takeTokenFromFragment();
		token = loadToken();

		$('token-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const t = cleanToken($('token-input').value);
			if (!t) return;
			$('token-input').value = '';
			saveToken(t);
			hideTokenForm();
			hideError();
			tick();
		});
		$('token-change').addEventListener('click', () => {
			showTokenForm('Paste the new token.', true);
		});
		$('token-forget').addEventListener('click', () => {
			saveToken(null);
			closeStream();
			$('prune-result').textContent = '';
			tick();
		});
		$('prune').addEventListener('click', prune);
		$('flags-list').addEventListener('click', (ev) => {
			const btn = ev.target instanceof Element ? ev.target.closest('button.flag-toggle') : null;
			if (btn && !btn.disabled) toggleFlag(btn);
		});
		window.addEventListener('hashchange', () => {
			if (takeTokenFromFragment()) {
				token = loadToken();
				tick();
			}
		});
		tick();
	}

	if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
	else start();
})();
