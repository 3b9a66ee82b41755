// history.js: the history page — token, range and step in the address, an SVG chart drawn here, periods, CSV download.
'use strict';

(() => {
	const TOKEN_KEY = 'headcount.token';
	const SVG_NS = 'http://www.w3.org/2000/svg';
	const W = 960, H = 300, PAD_L = 40, PAD_R = 10, PAD_T = 10, PAD_B = 24;
	const COLORS = { desired: '#6b4fbb', active: '#1a7f37', band: '#b7e1c1', mismatch: '#f5c2c0' };

	const $ = (id) => document.getElementById(id);
	let token = null;
	let memoryToken = null;
	let last = null;	// the last report shown

	// ------------------------------------------------------------ token (shared with the status page)
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
		} catch (e) { /* kept in memory for this page */ }
		token = t;
	}
	function cleanToken(s) {
		return String(s || '').trim().replace(/^Bearer\s+/i, '').trim();
	}
	// #token=<jwt>: taken, then dropped from the address (the range stays in the query).
	function takeTokenFromFragment() {
		if (!location.hash || location.hash.length < 2) return;
		const params = new URLSearchParams(location.hash.slice(1));
		if (!params.has('token')) return;
		const t = cleanToken(params.get('token'));
		params.delete('token');
		const rest = params.toString();
		history.replaceState(history.state, '', location.pathname + location.search + (rest ? '#' + rest : ''));
		if (t) saveToken(t);
	}

	// ------------------------------------------------------------ the range in the address
	function readRange() {
		const q = new URLSearchParams(location.search);
		return { from: q.get('from') || '', to: q.get('to') || '', step: q.get('step') || '' };
	}
	// "?from=...&to=...&step=..." with the times readable (':' needs no escaping in a query).
	function rangeQuery(r, extra) {
		const all = Object.assign({ from: r.from, to: r.to, step: r.step }, extra || {});
		const parts = [];
		for (const [k, v] of Object.entries(all))
			if (v) parts.push(k + '=' + encodeURIComponent(v).replace(/%3A/gi, ':'));
		return parts.length ? '?' + parts.join('&') : '';
	}
	function writeRange(r) {
		history.replaceState(history.state, '', location.pathname + rangeQuery(r) + location.hash);
		$('from').value = r.from;
		$('to').value = r.to;
		$('step').value = r.step;
	}

	// ------------------------------------------------------------ HTTP
	async function api(path, accept) {
		const headers = { Accept: accept || 'application/json, application/problem+json' };
		if (token) headers.Authorization = 'Bearer ' + token;
		let res;
		try {
			res = await fetch(path, { headers, cache: 'no-store', credentials: 'omit' });
		} catch (e) {
			return { status: 0, text: '', error: 'Network error: ' + (e && e.message ? e.message : e) };
		}
		let text = '';
		try {
			text = await res.text();
		} catch (e) {
			text = '';
		}
		return { status: res.status, text, error: null };
	}
	function parse(text) {
		try {
			return text ? JSON.parse(text) : null;
		} catch (e) {
			return null;
		}
	}
	function problemText(r) {
		if (r.status === 0) return r.error || 'Network error';
		const b = parse(r.text) || {};
		let s = 'HTTP ' + r.status + (typeof b.title === 'string' ? ' ' + b.title : '');
		if (typeof b.detail === 'string' && b.detail) s += ': ' + b.detail;
		return s;
	}

	// ------------------------------------------------------------ DOM (textContent only)
	function el(tag, attrs, ...children) {
		const e = document.createElement(tag);
		for (const [k, v] of Object.entries(attrs || {})) {
			if (v === null || v === undefined) continue;
			if (k === 'class') e.className = v;
			else e.setAttribute(k, String(v));
		}
		for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
		return e;
	}
	function svg(tag, attrs) {
		const e = document.createElementNS(SVG_NS, tag);
		for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
		return e;
	}
	function showError(title, detail) {
		$('error-title').textContent = title;
		$('error-detail').textContent = detail || '';
		$('error').hidden = !title;
	}
	function duration(s) {
		if (s < 120) return s + ' s';
		if (s < 7200) return Math.floor(s / 60) + ' min';
		if (s < 172800) return Math.floor(s / 3600) + ' h ' + String(Math.floor((s % 3600) / 60)).padStart(2, '0') + ' min';
		return Math.floor(s / 86400) + ' d ' + Math.floor((s % 86400) / 3600) + ' h';
	}
	const epoch = (t) => Date.parse(t) / 1000;
	const iso = (s) => new Date(s * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');

	// ------------------------------------------------------------ the chart
	function drawChart(rep) {
		const c = $('chart');
		c.replaceChildren();
		const from = epoch(rep.from), to = epoch(rep.to);
		const span = Math.max(to - from, 1);
		let ymax = 1;
		for (const p of rep.points) ymax = Math.max(ymax, p.active_max, p.desired === null ? 0 : p.desired);
		ymax = Math.ceil(ymax * 1.15) || 1;
		const x = (t) => PAD_L + ((t - from) / span) * (W - PAD_L - PAD_R);
		const y = (v) => PAD_T + (1 - v / ymax) * (H - PAD_T - PAD_B);

		for (const m of rep.mismatch_periods) {
			const a = Math.max(epoch(m.start), from);
			const b = Math.min(m.end === null ? to : epoch(m.end), to);
			if (b <= a) continue;
			c.append(svg('rect', { class: 'mismatch', x: x(a), y: PAD_T, width: Math.max(x(b) - x(a), 1),
				height: H - PAD_T - PAD_B, fill: COLORS.mismatch }));
		}
		const ticks = Math.min(ymax, 5);
		for (let i = 0; i <= ticks; i++) {
			const v = Math.round((ymax * i) / ticks);
			c.append(svg('line', { class: 'grid', x1: PAD_L, x2: W - PAD_R, y1: y(v), y2: y(v) }));
			const lab = svg('text', { class: 'axis-label', x: PAD_L - 6, y: y(v) + 4, 'text-anchor': 'end' });
			lab.textContent = String(v);
			c.append(lab);
		}
		for (const [t, anchor] of [[from, 'start'], [to, 'end']]) {
			const lab = svg('text', { class: 'axis-label', x: x(t), y: H - 6, 'text-anchor': anchor });
			lab.textContent = iso(t).replace('T', ' ').replace('Z', ' UTC');
			c.append(lab);
		}

		// Runs of consecutive buckets; an omitted bucket breaks the lines.
		const runs = [];
		let prev = null;
		for (const p of rep.points) {
			const t = epoch(p.t);
			if (prev === null || t - prev > rep.step) runs.push([]);
			runs[runs.length - 1].push(p);
			prev = t;
		}
		const mid = (p) => x(epoch(p.t) + rep.step / 2);
		for (const run of runs) {
			const upper = run.map((p) => mid(p) + ',' + y(p.active_max));
			const lower = run.slice().reverse().map((p) => mid(p) + ',' + y(p.active_min));
			c.append(svg('polygon', { class: 'band', points: upper.concat(lower).join(' '),
				fill: COLORS.band, stroke: 'none' }));
			const des = run.filter((p) => p.desired !== null);
			if (des.length > 0)
				c.append(svg('polyline', { class: 'line-desired', points: des.map((p) => mid(p) + ',' + y(p.desired)).join(' '),
					fill: 'none', stroke: COLORS.desired, 'stroke-width': 2, 'stroke-dasharray': '6 3' }));
			c.append(svg('polyline', { class: 'line-active', points: run.map((p) => mid(p) + ',' + y(p.active_avg)).join(' '),
				fill: 'none', stroke: COLORS.active, 'stroke-width': 2 }));
		}
		for (const p of rep.points) {
			const dot = svg('circle', { class: 'pt', cx: mid(p), cy: y(p.active_avg), r: rep.points.length > 500 ? 1 : 2.5,
				fill: COLORS.active, 'data-t': p.t });
			const tip = svg('title', {});
			tip.textContent = p.t + ': active ' + p.active_avg + ' (' + p.active_min + '–' + p.active_max + '), desired ' +
				(p.desired === null ? 'unknown' : p.desired) + ', ' + p.samples + ' sample(s)';
			dot.append(tip);
			c.append(dot);
		}
	}

	function drawPeriods(rep) {
		const body = $('periods-body');
		const rows = rep.mismatch_periods.map((m) => el('tr', { class: m.end === null ? 'running' : null, 'data-start': m.start },
			el('td', {}, el('time', { datetime: m.start }, m.start)),
			el('td', {}, m.end === null ? el('strong', {}, 'still running') : el('time', { datetime: m.end }, m.end)),
			el('td', { class: 'num' }, duration(m.duration_seconds)),
			el('td', { class: 'num' }, m.desired === null ? '—' : String(m.desired)),
			el('td', { class: 'num' }, String(m.active_min))));
		if (rows.length === 0) rows.push(el('tr', {}, el('td', { colspan: 5, class: 'muted' }, 'No mismatch in this range')));
		body.replaceChildren(...rows);
		$('periods-count').textContent = '(' + rep.mismatch_periods.length + ')';
	}

	// ------------------------------------------------------------ loading
	async function load() {
		const r = readRange();
		document.body.dataset.state = 'loading';
		if (!token) {
			$('token-section').hidden = false;
			document.body.dataset.state = 'auth';
			return;
		}
		const res = await api('/api/v1/monitoring/history' + rangeQuery(r));
		const rep = res.status === 200 ? parse(res.text) : null;
		if (res.status === 401 || res.status === 403) {
			showError('The token was refused.', problemText(res));
			$('token-section').hidden = false;
			document.body.dataset.state = 'auth';
			return;
		}
		if (!rep || !Array.isArray(rep.points) || !Array.isArray(rep.mismatch_periods)) {
			showError('The history could not be loaded.', problemText(res));
			document.body.dataset.state = 'error';
			return;
		}
		showError('');
		$('token-section').hidden = true;
		last = rep;
		drawChart(rep);
		drawPeriods(rep);
		$('range-text').textContent = rep.from + ' – ' + rep.to + ', step ' + rep.step + ' s';
		$('points-text').textContent = rep.points.length + ' point(s) with samples';
		document.body.dataset.points = String(rep.points.length);
		document.body.dataset.periods = String(rep.mismatch_periods.length);
		document.body.dataset.state = 'ok';
	}

	async function downloadCsv() {
		const out = $('csv-result');
		out.textContent = 'Downloading…';
		const res = await api('/api/v1/monitoring/history' + rangeQuery(readRange(), { format: 'csv' }), 'text/csv, application/problem+json');
		if (res.status !== 200) {
			out.textContent = problemText(res);
			return;
		}
		const rows = res.text.split('\n').filter((l) => l.length > 0).length - 1;
		const url = URL.createObjectURL(new Blob([res.text], { type: 'text/csv' }));
		const a = el('a', { href: url, download: 'headcount-history' + (last ? '-' + last.from + '-' + last.to : '') + '.csv' });
		document.body.append(a);
		a.click();
		a.remove();
		setTimeout(() => URL.revokeObjectURL(url), 10000);
		out.textContent = 'Downloaded ' + rows + ' row(s).';
		out.dataset.rows = String(rows);
	}

	function whoami() {
		$('who').textContent = token ? 'Token set' : 'No token';
		$('token-change').hidden = !token;
	}

	document.addEventListener('DOMContentLoaded', () => {
		takeTokenFromFragment();
		token = cleanToken(loadToken()) || null;
		whoami();
		const r = readRange();
		$('from').value = r.from;
		$('to').value = r.to;
		$('step').value = r.step;
		$('range-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			writeRange({ from: $('from').value.trim(), to: $('to').value.trim(), step: $('step').value.trim() });
			load();
		});
		for (const b of document.querySelectorAll('.presets button')) {
			b.addEventListener('click', () => {
				const now = Math.floor(Date.now() / 1000);
				writeRange({ from: iso(now - Number(b.dataset.span)), to: '', step: b.dataset.step });
				load();
			});
		}
		$('token-form').addEventListener('submit', (ev) => {
			ev.preventDefault();
			const t = cleanToken($('token-input').value);
			$('token-input').value = '';
			if (!t) return;
			saveToken(t);
			whoami();
			load();
		});
		$('token-change').addEventListener('click', () => {
			$('token-section').hidden = false;
			$('token-input').focus();
		});
		$('csv').addEventListener('click', downloadCsv);
		load();
	});
})();
