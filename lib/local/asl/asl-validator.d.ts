declare module 'asl-validator' {
  interface ValidationError {
    'Error code': string;
    Message: string;
  }
  interface ValidationOptions {
    checkPaths?: boolean;
    checkArn?: boolean;
  }
  export default function validator(
    definition: unknown,
    options?: ValidationOptions,
  ): { isValid: boolean; errors: ValidationError[] };
}
