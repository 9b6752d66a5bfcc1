package dev.quark.cluster.client;

/**
 * A cluster client found a silo that is not dead with its own id when it started: it would send that silo's calls
 * to itself, so it refuses to start. Give the client another id ({@code quark.cluster.silo.id} with Spring Boot).
 * A silo with the client's id that appears after the start does not stop the client: it is reported by
 * {@link ClientMembership#idConflict()} (and the client's health) instead.
 */
public class ClientIdConflictException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String clientId;

    /**
     * Creates the exception.
     * @param clientId the client's id
     * @param conflict which silo has it, and what to do
     */
    public ClientIdConflictException(String clientId, String conflict) {
        super("Cluster client " + clientId + " cannot start: " + conflict);
        this.clientId = clientId;
    }

    /**
     * Returns the client's id, which a silo has.
     * @return the id
     */
    public String getClientId() {
        return this.clientId;
    }
}
