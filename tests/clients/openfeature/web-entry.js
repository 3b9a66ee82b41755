// web-entry.js: what ofrep.sh bundles (esbuild) for the browser: the web SDK and its OFREP provider.
// Copyright (c) 2026 the headcount authors; ISC license, see COPYING.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

window.HCOpenFeature = { OpenFeature, ProviderEvents, OFREPWebProvider };
