import { type ErrorKind, ProviderError } from '@msg/core';

/** What an SMPP `command_status` means for the router. */
export interface CommandStatusInfo {
  /** The status as `0x0000000B`: the form `ProviderError.providerCode` carries. */
  code: string;
  /** The SMPP 3.4 name, `ESME_RINVDSTADR`; `UNKNOWN_STATUS` for vendor codes. */
  name: string;
  kind: ErrorKind;
  description: string;
}

type Entry = readonly [name: string, kind: ErrorKind, description: string];

/**
 * Every SMPP 3.4 command_status (section 5.1.3) with its kind. Choices worth knowing:
 * - ESME_RINVSRCADR and the source TON/NPI codes are `configuration`: the sender id belongs to the
 *   account (registered, approved) and fails for every message on this bind, while another provider
 *   may accept it; `permanent` would wrongly stop the failover.
 * - ESME_RINVBNDSTS / ESME_RALYBND are `transient`: the session state is wrong, a rebind fixes it.
 * - Unknown and vendor-specific codes are `transient`, so bounded retries rather than a silent drop.
 */
const STATUSES: ReadonlyMap<number, Entry> = new Map<number, Entry>([
  [0x00, ['ESME_ROK', 'transient', 'No error']],
  [0x01, ['ESME_RINVMSGLEN', 'permanent', 'Message length is invalid']],
  [0x02, ['ESME_RINVCMDLEN', 'permanent', 'Command length is invalid']],
  [0x03, ['ESME_RINVCMDID', 'permanent', 'Invalid command id']],
  [0x04, ['ESME_RINVBNDSTS', 'transient', 'Incorrect bind status for given command']],
  [0x05, ['ESME_RALYBND', 'transient', 'ESME already in bound state']],
  [0x06, ['ESME_RINVPRTFLG', 'permanent', 'Invalid priority flag']],
  [0x07, ['ESME_RINVREGDLVFLG', 'permanent', 'Invalid registered delivery flag']],
  [0x08, ['ESME_RSYSERR', 'transient', 'System error']],
  [0x0a, ['ESME_RINVSRCADR', 'configuration', 'Invalid source address']],
  [0x0b, ['ESME_RINVDSTADR', 'permanent', 'Invalid destination address']],
  [0x0c, ['ESME_RINVMSGID', 'permanent', 'Message id is invalid']],
  [0x0d, ['ESME_RBINDFAIL', 'configuration', 'Bind failed']],
  [0x0e, ['ESME_RINVPASWD', 'configuration', 'Invalid password']],
  [0x0f, ['ESME_RINVSYSID', 'configuration', 'Invalid system id']],
  [0x11, ['ESME_RCANCELFAIL', 'permanent', 'Cancel SM failed']],
  [0x13, ['ESME_RREPLACEFAIL', 'permanent', 'Replace SM failed']],
  [0x14, ['ESME_RMSGQFUL', 'rate-limited', 'Message queue full']],
  [0x15, ['ESME_RINVSERTYP', 'configuration', 'Invalid service type']],
  [0x33, ['ESME_RINVNUMDESTS', 'permanent', 'Invalid number of destinations']],
  [0x34, ['ESME_RINVDLNAME', 'permanent', 'Invalid distribution list name']],
  [0x40, ['ESME_RINVDESTFLAG', 'permanent', 'Destination flag is invalid']],
  [0x42, ['ESME_RINVSUBREP', 'permanent', 'Invalid submit with replace request']],
  [0x43, ['ESME_RINVESMCLASS', 'permanent', 'Invalid esm_class field data']],
  [0x44, ['ESME_RCNTSUBDL', 'permanent', 'Cannot submit to distribution list']],
  [0x45, ['ESME_RSUBMITFAIL', 'transient', 'submit_sm or submit_multi failed']],
  [0x48, ['ESME_RINVSRCTON', 'configuration', 'Invalid source address TON']],
  [0x49, ['ESME_RINVSRCNPI', 'configuration', 'Invalid source address NPI']],
  [0x50, ['ESME_RINVDSTTON', 'permanent', 'Invalid destination address TON']],
  [0x51, ['ESME_RINVDSTNPI', 'permanent', 'Invalid destination address NPI']],
  [0x53, ['ESME_RINVSYSTYP', 'configuration', 'Invalid system_type field']],
  [0x54, ['ESME_RINVREPFLAG', 'permanent', 'Invalid replace_if_present flag']],
  [0x55, ['ESME_RINVNUMMSGS', 'permanent', 'Invalid number of messages']],
  [0x58, ['ESME_RTHROTTLED', 'rate-limited', 'Throttling error (ESME has exceeded allowed message limits)']],
  [0x61, ['ESME_RINVSCHED', 'permanent', 'Invalid scheduled delivery time']],
  [0x62, ['ESME_RINVEXPIRY', 'permanent', 'Invalid message validity period']],
  [0x63, ['ESME_RINVDFTMSGID', 'permanent', 'Predefined message invalid or not found']],
  [0x64, ['ESME_RX_T_APPN', 'transient', 'ESME receiver temporary app error code']],
  [0x65, ['ESME_RX_P_APPN', 'permanent', 'ESME receiver permanent app error code']],
  [0x66, ['ESME_RX_R_APPN', 'permanent', 'ESME receiver reject message error code']],
  [0x67, ['ESME_RQUERYFAIL', 'transient', 'query_sm request failed']],
  [0xc0, ['ESME_RINVOPTPARSTREAM', 'permanent', 'Error in the optional part of the PDU body']],
  [0xc1, ['ESME_ROPTPARNOTALLWD', 'permanent', 'Optional parameter not allowed']],
  [0xc2, ['ESME_RINVPARLEN', 'permanent', 'Invalid parameter length']],
  [0xc3, ['ESME_RMISSINGOPTPARAM', 'permanent', 'Expected optional parameter missing']],
  [0xc4, ['ESME_RINVOPTPARAMVAL', 'permanent', 'Invalid optional parameter value']],
  [0xfe, ['ESME_RDELIVERYFAILURE', 'transient', 'Delivery failure (data_sm_resp)']],
  [0xff, ['ESME_RUNKNOWNERR', 'transient', 'Unknown error']],
]);

/** The command_status of an SMPP 3.4 name (`ESME_RINVDSTADR` -> 0x0B); undefined for unknown names. */
export function commandStatusByName(name: string): number | undefined {
  for (const [status, [entryName]] of STATUSES) if (entryName === name) return status;
  return undefined;
}

/** `0x0000000B`: eight upper-case hex digits, as SMPP specifications print command_status. */
export function formatCommandStatus(status: number): string {
  return `0x${(status >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
}

export function describeCommandStatus(status: number): CommandStatusInfo {
  const entry = STATUSES.get(status);
  const code = formatCommandStatus(status);
  if (entry) return { code, name: entry[0], kind: entry[1], description: entry[2] };
  const vendor = status >= 0x400 && status <= 0x4ff;
  return {
    code,
    name: 'UNKNOWN_STATUS',
    kind: 'transient',
    description: vendor ? 'SMSC vendor-specific error' : 'Reserved or unknown command_status',
  };
}

/** The `ProviderError` for a response whose command_status is not ESME_ROK. */
export function commandStatusError(
  status: number,
  provider: string,
  context: string,
  retryAfterMs?: number,
): ProviderError {
  const info = describeCommandStatus(status);
  return new ProviderError({
    kind: info.kind,
    provider,
    providerCode: info.code,
    message: `[msg] [smpp] ${context} failed: ${info.name} (${info.code}) ${info.description}`,
    retryAfterMs: info.kind === 'rate-limited' ? retryAfterMs : undefined,
  });
}
