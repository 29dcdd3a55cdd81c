// Sample of docs/azure-functions.md: a pool whose logins ride out an Azure SQL reconfiguration,
// failover or serverless resume. Type-checked with the project.
import sql from 'mssql';

const config = sql.ConnectionPool.parseConnectionString(process.env.SQL_CONNECTION_STRING!);

export const pool = new sql.ConnectionPool({
  ...config,
  options: {
    ...config.options,
    // tedious retries a login the server refused with 40613, 40501, 40197, 4060, 10928 or 10929
    // this many times, this many milliseconds apart, before the pool reports the failure.
    maxRetriesOnTransientErrors: 5,
    connectionRetryInterval: 3000,
  },
});
