/**
 * A connection its owner keeps from session to session (a fleet worker's, from tenant to tenant),
 * so that each session does not pay a login. This is only the handle: db/with-database.ts holds
 * the connection it stands for, so that the types the package declares (MigratorContext carries
 * one) name no driver type and type-check without the driver's declarations.
 */
export interface KeptConnection {
  /** Whose it is, for the owner: a fleet's worker number. */
  readonly owner: number;
}
