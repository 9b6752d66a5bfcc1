package dev.quark.autoconfigure.backend;

/**
 * A backend was selected whose client library is not on the class path. The message names the property and
 * value that selected it and the dependency to add; {@link MissingBackendDependencyFailureAnalyzer} turns it
 * into the start-up failure report.
 */
public class MissingBackendDependencyException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    private final String groupId;

    private final String artifactId;

    private final String alternative;

    MissingBackendDependencyException(BackendSelection selection, String library, String groupId, String artifactId,
            String alternative) {
        super(selection.user() + " uses " + selection.setting() + ", which needs " + library
                + " on the class path: add the dependency " + groupId + ":" + artifactId + alternative);
        this.setting = selection.setting();
        this.groupId = groupId;
        this.artifactId = artifactId;
        this.alternative = alternative;
    }

    /**
     * Returns the setting that selected the backend.
     * @return {@code property=value}, for instance {@code quark.backend=redis}
     */
    public String getSetting() {
        return this.setting;
    }

    /**
     * Returns the dependency to add.
     * @return {@code groupId:artifactId}
     */
    public String getDependency() {
        return this.groupId + ":" + this.artifactId;
    }

    /**
     * Returns what to do about it, for the start-up failure report: the Maven dependency to add, or the other
     * ways out.
     * @return the action
     */
    public String getAction() {
        return "Add this dependency to the application" + this.alternative + ", or select another backend than "
                + this.setting + ":\n\n" + "    <dependency>\n" + "        <groupId>" + this.groupId + "</groupId>\n"
                + "        <artifactId>" + this.artifactId + "</artifactId>\n" + "    </dependency>\n";
    }
}
