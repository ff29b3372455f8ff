module.exports = async () => {
  await globalThis.pgshiftTestServer?.stop();
};
