/** Wire shapes of Africa's Talking's SMS REST API (`POST /version1/messaging`, form in, JSON out). */

/** The production and sandbox API hosts; the sandbox is chosen by the username `sandbox`. */
export const AFRICASTALKING_BASE_URL = 'https://api.africastalking.com';
export const AFRICASTALKING_SANDBOX_BASE_URL = 'https://api.sandbox.africastalking.com';
/** The host the official SDK picks: the sandbox for the username `sandbox` (any case). */
export function defaultBaseUrl(username: string): string {
  return username.toLowerCase() === 'sandbox' ? AFRICASTALKING_SANDBOX_BASE_URL : AFRICASTALKING_BASE_URL;
}

export const MESSAGING_PATH = '/version1/messaging';
export const USER_PATH = '/version1/user';

/** One recipient's outcome in a send answer. A rejected one has `messageId: "None"` and `cost: "0"`. */
export interface AfricasTalkingRecipient {
  statusCode: number;
  number: string;
  /** The status name (`Success`, `InvalidPhoneNumber`, ...). */
  status: string;
  /** `KES 0.8000`, or `0` when nothing was billed. */
  cost: string;
  messageId: string;
  /** Not in the documented answer; kept when a route returns it. */
  networkCode?: string;
}

/** HTTP 201 body. A whole-request rejection has `Recipients: []` and the reason in `Message`. */
export interface AfricasTalkingSendResponse {
  SMSMessageData: {
    /** `Sent to 1/1 Total Cost: KES 0.8000`, or a reason such as `InvalidSenderId`. */
    Message: string;
    Recipients: AfricasTalkingRecipient[];
  };
}

/** `GET /version1/user?username=...`: the account balance, used by `health()`. */
export interface AfricasTalkingUserResponse {
  UserData: { balance: string };
}

/** Form fields of a delivery report POSTed to the account's callback URL. */
export interface AfricasTalkingDeliveryReport {
  id: string;
  status: string;
  phoneNumber?: string;
  networkCode?: string;
  failureReason?: string;
  retryCount?: string;
}

/** The statuses a delivery report carries. */
export const DELIVERY_REPORT_STATUSES = [
  'Sent',
  'Submitted',
  'Buffered',
  'Rejected',
  'Success',
  'Failed',
  'AbsentSubscriber',
  'Expired',
] as const;

/** The reasons a `Failed` or `Rejected` delivery report gives. */
export const DELIVERY_FAILURE_REASONS = [
  'InsufficientCredit',
  'InvalidLinkId',
  'UserIsInactive',
  'UserInBlackList',
  'UserAccountSuspended',
  'NotNetworkSubscriber',
  'UserNotSubscribedToProduct',
  'UserDoesNotExist',
  'DeliveryFailure',
] as const;
