// Building blocks for running under systemd and being observed: sd_notify, signals, /healthz + /metrics.
export * from './sd-notify.js';
export * from './service-signals.js';
export * from './http-health.js';
export * from './status-socket.js';
