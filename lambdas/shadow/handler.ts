export const handler = async (event: unknown) => {
  console.log(JSON.stringify({ msg: 'not implemented yet', event }));
  return { statusCode: 501 };
};
