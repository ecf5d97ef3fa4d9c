// Being written by the lead: replaced by the real entry point.
export const handler = async (): Promise<never> => {
  throw new Error('not wired yet');
};
