import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every variable the AWS SDK's default credential chain reads, cleared while a test runs. */
const AWS_CREDENTIAL_VARIABLES = [
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'AWS_CREDENTIAL_EXPIRATION',
  'AWS_PROFILE',
  'AWS_DEFAULT_PROFILE',
  'AWS_SHARED_CREDENTIALS_FILE',
  'AWS_CONFIG_FILE',
  'AWS_ROLE_ARN',
  'AWS_WEB_IDENTITY_TOKEN_FILE',
  'AWS_CONTAINER_CREDENTIALS_RELATIVE_URI',
  'AWS_CONTAINER_CREDENTIALS_FULL_URI',
  'AWS_CONTAINER_AUTHORIZATION_TOKEN',
  'AWS_EC2_METADATA_DISABLED',
] as const;

export interface AwsProfileCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Profile name in the file, selected with `AWS_PROFILE` (default `msg-test`). */
  profile?: string;
}

/**
 * Runs `work` where the AWS SDK's default credential chain finds exactly `credentials` (from a
 * temporary shared-credentials file, through `AWS_SHARED_CREDENTIALS_FILE` and `AWS_PROFILE`), or
 * nothing at all when `credentials` is undefined. The instance-metadata lookup is switched off so
 * nothing leaves the machine. The environment is restored afterwards, whatever `work` does; the
 * SDK resolves credentials on the first request, so that request must happen inside `work`.
 */
export async function withAwsSharedCredentials<T>(
  credentials: AwsProfileCredentials | undefined,
  work: () => Promise<T>,
): Promise<T> {
  const saved = new Map(AWS_CREDENTIAL_VARIABLES.map((name) => [name, process.env[name]]));
  // A fresh directory each time: the SDK caches the files it read by path.
  const directory = mkdtempSync(join(tmpdir(), 'msg-aws-'));
  try {
    for (const name of AWS_CREDENTIAL_VARIABLES) delete process.env[name];
    const profile = credentials?.profile ?? 'msg-test';
    const credentialsFile = join(directory, 'credentials');
    const configFile = join(directory, 'config');
    writeFileSync(
      credentialsFile,
      credentials
        ? `[${profile}]\naws_access_key_id = ${credentials.accessKeyId}\naws_secret_access_key = ${credentials.secretAccessKey}\n`
        : '',
    );
    writeFileSync(configFile, '');
    process.env.AWS_SHARED_CREDENTIALS_FILE = credentialsFile;
    process.env.AWS_CONFIG_FILE = configFile;
    process.env.AWS_PROFILE = profile;
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    return await work();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(directory, { recursive: true, force: true });
  }
}
