export const API_KEY = 'bench-key-0123456789abcdef';
export const ADMIN_KEY = 'bench-admin-0123456789abcdef';
export const AT_USERNAME = 'bench';
export const AT_API_KEY = 'bench-at-api-key';
