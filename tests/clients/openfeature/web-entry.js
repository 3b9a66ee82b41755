// web-entry.js: what ofrep.sh bundles (esbuild) for the browser: the web SDK and its OFREP provider.
import { OpenFeature, ProviderEvents } from '@openfeature/web-sdk';
import { OFREPWebProvider } from '@openfeature/ofrep-web-provider';

window.HCOpenFeature = { OpenFeature, ProviderEvents, OFREPWebProvider };
