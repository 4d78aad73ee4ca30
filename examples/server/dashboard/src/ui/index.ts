// The dashboard's small components, one file per kind.
export * from './boundary';
export * from './copy';
export * from './dialog';
export * from './forms';
export * from './icons';
export * from './layout';
export * from './lists';
export * from './load';
export * from './secret';
export * from './toast';
