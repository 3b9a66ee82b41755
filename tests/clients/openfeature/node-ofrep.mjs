// node-ofrep.mjs: headcount's flags through the real OpenFeature server SDK and its generic
// OFREP provider.  Env: OFREP_URL (base URL), USER_TOKEN, ADMIN_TOKEN.  Prints one JSON line.
// Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
import { OpenFeature } from '@openfeature/server-sdk';
import { OFREPProvider } from '@openfeature/ofrep-provider';

const base = process.env.OFREP_URL;
const provider = new OFREPProvider({
	baseUrl: base,
	headers: [['Authorization', `Bearer ${process.env.USER_TOKEN}`]],
});
const pick = (d) => ({ value: d.value, reason: d.reason, variant: d.variant ?? null,
	errorCode: d.errorCode ?? null });
const out = {};
try {
	await OpenFeature.setProviderAndWait(provider);
	const client = OpenFeature.getClient();
	const ctx = { targetingKey: 'user-1', plan: 'pro' };
	out.on = pick(await client.getBooleanDetails('ofrep.on', false, ctx));
	out.off = pick(await client.getBooleanDetails('ofrep.off', true, ctx));
	out.missing = pick(await client.getBooleanDetails('ofrep.missing', true, ctx));
	out.missing_false_default = pick(await client.getBooleanDetails('ofrep.missing', false, ctx));
	out.value_on = await client.getBooleanValue('ofrep.on', false, ctx);
	// a change made through the REST API is what the next evaluation sees
	out.before = pick(await client.getBooleanDetails('ofrep.flip', true, ctx));
	const put = await fetch(`${base}/api/v1/flags/ofrep.flip?enabled=true`, {
		method: 'PUT', headers: { Authorization: `Bearer ${process.env.ADMIN_TOKEN}` } });
	out.put_status = put.status;
	out.changed = pick(await client.getBooleanDetails('ofrep.flip', false, ctx));
	await OpenFeature.close();
} catch (e) {
	out.error = String(e && e.stack || e);
}
console.log(JSON.stringify(out));
