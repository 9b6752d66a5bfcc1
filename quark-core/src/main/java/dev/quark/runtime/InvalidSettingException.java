package dev.quark.runtime;

/**
 * A value an {@link ActorRuntime.Builder} setting cannot take. The builder's setters are the one place these
 * rules live; Spring Boot's {@code quark.actors.*} properties are validated by applying them to a builder and
 * report {@link #getReason()} against the property.
 */
public class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    private final String reason;

    /**
     * Creates the exception.
     * @param setting the builder setting, for instance {@code callTimeout}
     * @param value the rejected value
     * @param reason why, for instance {@code must be positive}
     */
    public InvalidSettingException(String setting, Object value, String reason) {
        super(setting + " " + reason + ", was " + value);
        this.setting = setting;
        this.reason = reason;
    }

    /**
     * Returns the builder setting.
     * @return for instance {@code callTimeout}
     */
    public String getSetting() {
        return this.setting;
    }

    /**
     * Returns why the value was rejected.
     * @return for instance {@code must be positive}
     */
    public String getReason() {
        return this.reason;
    }
}
