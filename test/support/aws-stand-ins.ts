import { createServer, type IncomingMessage, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

// Stand-ins for the two AWS endpoints the CLI's AWS target talks to, on loopback: CloudFormation's
// DescribeStacks (the AWS Query protocol the SDK speaks) and an API Gateway stage with IAM auth
// that checks each SigV4 signature with the same signing library the CLI uses, then forwards the
// request to a local aios with its bearer token.

export interface StandIn {
  readonly url: string;
  /** Every request that reached it: method, path and the access key it was signed with. */
  readonly requests: { method: string; path: string; accessKeyId?: string }[];
  close(): Promise<void>;
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

async function bodyOf(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** CloudFormation with these stacks (name → outputs); any other name does not exist. */
export async function startCloudFormationStandIn(
  stacks: Record<string, Record<string, string>>,
): Promise<StandIn> {
  const requests: StandIn['requests'] = [];
  const server = createServer(async (req, res) => {
    const form = new URLSearchParams(await bodyOf(req));
    const accessKeyId = /Credential=([^/]+)\//.exec(req.headers.authorization ?? '')?.[1];
    requests.push({ method: req.method ?? '', path: form.get('Action') ?? '', accessKeyId });
    const name = form.get('StackName') ?? '';
    const outputs = form.get('Action') === 'DescribeStacks' ? stacks[name] : undefined;
    res.setHeader('content-type', 'text/xml');
    if (!outputs) {
      res.statusCode = 400;
      res.end(
        `<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error><Type>Sender</Type><Code>ValidationError</Code><Message>Stack with id ${xml(name)} does not exist</Message></Error><RequestId>stand-in</RequestId></ErrorResponse>`,
      );
      return;
    }
    const members = Object.entries(outputs)
      .map(
        ([key, value]) =>
          `<member><OutputKey>${xml(key)}</OutputKey><OutputValue>${xml(value)}</OutputValue></member>`,
      )
      .join('');
    res.end(
      `<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><DescribeStacksResult><Stacks><member><StackName>${xml(name)}</StackName><StackId>arn:aws:cloudformation:eu-west-1:123456789012:stack/${xml(name)}/1</StackId><CreationTime>2026-12-01T00:00:00Z</CreationTime><StackStatus>CREATE_COMPLETE</StackStatus><Outputs>${members}</Outputs></member></Stacks></DescribeStacksResult><ResponseMetadata><RequestId>stand-in</RequestId></ResponseMetadata></DescribeStacksResponse>`,
    );
  });
  const url = await listen(server);
  return { url, requests, close: () => close(server) };
}

export interface ApiGatewayStandInOptions {
  /** The principals AWS knows: access key id → secret, and whether its policy allows execute-api:Invoke. */
  keys: Record<string, { secret: string; allowed: boolean }>;
  region: string;
  stage: string;
  /** The local aios the signed requests go on to. */
  upstream: { url: string; token: string };
}

const SIGNATURE_MISMATCH =
  'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

/** The request's SigV4 signature, checked by signing it again with the secret AWS has for its key. */
async function verify(
  req: IncomingMessage,
  body: string,
  options: ApiGatewayStandInOptions,
): Promise<{ accessKeyId?: string; refusal?: { status: number; body: object } }> {
  const authorization = req.headers.authorization ?? '';
  const parsed =
    /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
      authorization,
    );
  if (!parsed) return { refusal: { status: 403, body: { message: 'Missing Authentication Token' } } };
  const [, accessKeyId = '', , region, service, signedHeaders = '', signature] = parsed;
  const key = options.keys[accessKeyId];
  if (!key) {
    return {
      accessKeyId,
      refusal: { status: 403, body: { message: 'The security token included in the request is invalid.' } },
    };
  }
  if (region !== options.region || service !== 'execute-api') {
    return {
      accessKeyId,
      refusal: {
        status: 403,
        body: { message: `Credential should be scoped to a valid region, not '${region}'.` },
      },
    };
  }
  const amzDate = String(req.headers['x-amz-date'] ?? '');
  const signingDate = new Date(
    amzDate.replace(/^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/, '$1-$2-$3T$4:$5:$6Z'),
  );
  const headers: Record<string, string> = {};
  for (const name of signedHeaders.split(';')) {
    // The payload hash is computed again from the body that came, not taken from the header.
    if (name !== 'x-amz-content-sha256') headers[name] = String(req.headers[name] ?? '');
  }
  const url = new URL(req.url ?? '/', 'http://stand-in');
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: { accessKeyId, secretAccessKey: key.secret },
    sha256: Hash.bind(null, 'sha256'),
  });
  const expected = await signer.sign(
    {
      method: req.method ?? 'GET',
      protocol: 'http:',
      hostname: String(req.headers.host ?? '').split(':')[0] ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers,
      body,
    },
    { signingDate },
  );
  const expectedSignature = /Signature=([0-9a-f]{64})$/.exec(expected.headers.authorization ?? '')?.[1];
  if (expectedSignature !== signature) {
    return { accessKeyId, refusal: { status: 403, body: { message: SIGNATURE_MISMATCH } } };
  }
  if (!key.allowed) {
    const resource = `arn:aws:execute-api:${options.region}:123456789012:stand1n/${options.stage}/${req.method}${url.pathname.replace(`/${options.stage}`, '')}`;
    return {
      accessKeyId,
      refusal: {
        status: 403,
        body: {
          Message: `User: arn:aws:iam::123456789012:user/${accessKeyId} is not authorized to perform: execute-api:Invoke on resource: ${resource}`,
        },
      },
    };
  }
  return { accessKeyId };
}

/** An IAM-authorised API Gateway stage in front of a local aios. */
export async function startApiGatewayStandIn(options: ApiGatewayStandInOptions): Promise<StandIn> {
  const requests: StandIn['requests'] = [];
  const server = createServer(async (req, res) => {
    const body = await bodyOf(req);
    const { accessKeyId, refusal } = await verify(req, body, options);
    const url = new URL(req.url ?? '/', 'http://stand-in');
    requests.push({ method: req.method ?? '', path: url.pathname, accessKeyId });
    if (refusal) {
      res.writeHead(refusal.status, { 'content-type': 'application/json' }).end(JSON.stringify(refusal.body));
      return;
    }
    const prefix = `/${options.stage}`;
    const path = url.pathname.startsWith(`${prefix}/`) ? url.pathname.slice(prefix.length) : url.pathname;
    const forwarded = request(
      `${options.upstream.url}${path}${url.search}`,
      {
        method: req.method,
        headers: {
          authorization: `Bearer ${options.upstream.token}`,
          ...(req.headers['content-type'] ? { 'content-type': req.headers['content-type'] } : {}),
          ...(req.headers['idempotency-key'] ? { 'idempotency-key': req.headers['idempotency-key'] } : {}),
        },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/json' });
        answer.pipe(res);
      },
    );
    forwarded.on('error', () => res.writeHead(502).end('{"message":"Internal server error"}'));
    forwarded.end(body || undefined);
  });
  const url = await listen(server);
  return { url: `${url}/${options.stage}/`, requests, close: () => close(server) };
}
