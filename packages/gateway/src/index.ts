// @eventkit/gateway: what the local all-in-one mode composes.

export { createGateway, type Gateway, type GatewayDeps, type GatewaySettings } from './gateway.ts';
export { createApp } from './http/app.ts';
