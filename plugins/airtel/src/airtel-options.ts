import { smppProviderOptionsShape } from '@msg/smpp';
import { z } from 'zod';

/** Airtel Zambia's SMPP bind: the shared SMPP provider options, nothing Airtel-specific. */
export const airtelOptionsSchema = z.object({ ...smppProviderOptionsShape }).strict();

export type AirtelPluginOptions = z.input<typeof airtelOptionsSchema>;
export type AirtelOptions = z.output<typeof airtelOptionsSchema>;
