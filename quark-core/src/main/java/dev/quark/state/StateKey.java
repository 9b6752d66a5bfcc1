package dev.quark.state;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a state is stored under: the actor's type name, the actor's id and the state's name.
 *
 * @param actorType the stable name of the actor type ({@link dev.quark.actor.QuarkActor#name()}); not empty,
 * no {@code :}
 * @param actorId the actor id; any string
 * @param name the state's name: letters, digits, {@code _}, {@code -} and {@code .}
 */
public record StateKey(String actorType, String actorId, String name) {

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]+");

    /**
     * Validates the parts of the key.
     * @throws IllegalArgumentException naming the part that is not allowed
     */
    public StateKey {
        Objects.requireNonNull(actorType, "actorType must not be null");
        Objects.requireNonNull(actorId, "actorId must not be null");
        Objects.requireNonNull(name, "name must not be null");
        if (actorType.isEmpty() || actorType.indexOf(':') >= 0) {
            throw new IllegalArgumentException(
                    "Actor type name '" + actorType + "' cannot key persistent state: it must not be empty or contain ':'");
        }
        if (!isValidName(name)) {
            throw new IllegalArgumentException("State name '" + name
                    + "' is not allowed: use letters, digits, '_', '-' and '.'");
        }
    }

    /**
     * Returns whether a string may be a state name.
     * @param name the candidate
     * @return whether it is not empty and made of letters, digits, {@code _}, {@code -} and {@code .}
     */
    public static boolean isValidName(String name) {
        return NAME.matcher(name).matches();
    }

    /**
     * Returns the key as {@code actorType/actorId/name}, the form used in messages.
     */
    @Override
    public String toString() {
        return this.actorType + "/" + this.actorId + "/" + this.name;
    }
}
