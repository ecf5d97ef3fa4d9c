// The CDK app (cdk.json: "npx tsx bin/app.ts"). The stack is environment-agnostic: the account
// and region come from the credentials `cdk deploy` runs with.
import { createAiosApp } from '../lib/cloud/app.ts';

createAiosApp();
