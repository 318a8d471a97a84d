/**
 * A database URL as it may be shown: the password (in the user-info part or a `password=`
 * parameter) replaced by `***`. Text that is not a URL is shown as `<database URL>` only, since it
 * may hold anything.
 */
export const maskDatabaseUrl = (url: string): string => {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return "<database URL>"
  }
  if (parsed.password !== "") parsed.password = "***"
  for (const key of [...parsed.searchParams.keys()]) {
    if (key.toLowerCase() === "password") parsed.searchParams.set(key, "***")
  }
  return parsed.toString()
}

/** The environment variable that hands a database URL to runner processes (never their command line). */
export const DATABASE_URL_ENV = "HYPERLAYERS_DATABASE_URL"
