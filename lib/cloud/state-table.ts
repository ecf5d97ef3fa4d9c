import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

/**
 * Canonical state: one DynamoDB single table (runs, intents, audit log, journal; the memory log
 * has a table of its own, see memory.ts) and the Powertools idempotency table of the gateway.
 * Keys and index names mirror `lib/local/table-definitions.ts`, so the same adapter code runs
 * against both runtimes.
 */
export class StateTable extends Construct {
  /** Single table: `pk`/`sk`, GSI `gsi1` (`gsi1pk`/`gsi1sk`), TTL on `expiresAt`. */
  public readonly table: dynamodb.Table;
  /** Powertools idempotency records: key `id`, TTL on `expiration`. */
  public readonly idempotencyTable: dynamodb.Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // The audit log and the run journal are the record of what the business did: keep them
      // when the stack goes, and refuse a stray DeleteTable.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: 'gsi1',
      partitionKey: { name: 'gsi1pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'gsi1sk', type: dynamodb.AttributeType.STRING },
      projectionType: dynamodb.ProjectionType.ALL,
    });

    this.idempotencyTable = new dynamodb.Table(this, 'IdempotencyTable', {
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: 'expiration',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      // Losing these records would let an in-flight action run twice; retain them too.
      removalPolicy: RemovalPolicy.RETAIN,
    });
  }
}
