/*
 * probe-until.js: the browser tests' probe pages (www.sh, www-flags.sh,
 * history-www.sh) wait with this: until(cond, ms) resolves true as soon
 * as cond() holds, polled every 50 ms, or false after ms.  A throwing
 * cond() counts as false (the page under test may not be there yet).
 * Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
 */
"use strict";
const until = (cond, ms) => new Promise((res) => {
	const t0 = Date.now();
	(function poll() {
		let v = false;
		try { v = cond(); } catch (e) { v = false; }
		if (v) return res(true);
		if (Date.now() - t0 > ms) return res(false);
		setTimeout(poll, 50);
	})();
});
