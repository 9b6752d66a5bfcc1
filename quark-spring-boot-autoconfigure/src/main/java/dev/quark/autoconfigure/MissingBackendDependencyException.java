package dev.quark.autoconfigure;

/**
 * A backend was selected whose client library is not on the class path. The message names the property that
 * selected it and the dependency to add.
 */
public class MissingBackendDependencyException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String dependency;

    private final String action;

    /**
     * Creates the exception.
     * @param user what needs the backend, for instance {@code The state store 'default'}
     * @param setting the property and value that selected it, for instance {@code quark.backend=redis}
     * @param library the missing library, for instance {@code Spring Data Redis}
     * @param dependency the dependency to add, as {@code groupId:artifactId}
     * @param alternative what else the user can do, or an empty string
     */
    public MissingBackendDependencyException(String user, String setting, String library, String dependency,
            String alternative) {
        super(user + " uses " + setting + ", which needs " + library + " on the class path: add the dependency "
                + dependency + alternative);
        this.dependency = dependency;
        this.action = "Add the dependency " + dependency + " to the application" + alternative + ", or select another "
                + "backend than " + setting + ".";
    }

    /**
     * Returns the dependency to add.
     * @return {@code groupId:artifactId}
     */
    public String getDependency() {
        return this.dependency;
    }

    /**
     * Returns what to do about it, for the start-up failure report.
     * @return the action
     */
    public String getAction() {
        return this.action;
    }
}
