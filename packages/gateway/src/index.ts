// @eventkit/gateway: what the local all-in-one mode composes.

export { createGateway, type Gateway, type GatewayDeps, type GatewaySettings } from './gateway.ts';
export { createApp } from './http/app.ts';
export { KEEP_ALIVE_TIMEOUT_MS, listen } from './http/server.ts';
export { gatewaySettingsFromConfig } from './settings.ts';
