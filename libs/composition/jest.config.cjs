module.exports = {
  ...require('../../jest.preset.cjs'),
  displayName: 'composition',
  rootDir: __dirname,
};
