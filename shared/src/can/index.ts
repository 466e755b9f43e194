/** CAN codecs shared by the agent (decoding) and the simulator (encoding): pure functions, no I/O (issue 19). */
export * from './can-frame.js';
export * from './slcan.js';
export * from './candump-log.js';
export * from './dbc.js';
export * from './dbc-decode.js';
export * from './j1939.js';
export * from './j1939-transport.js';
export * from './obd2.js';
