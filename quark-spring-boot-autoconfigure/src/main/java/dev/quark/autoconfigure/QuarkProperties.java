package dev.quark.autoconfigure;

import dev.quark.autoconfigure.backend.QuarkBackend;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings that apply to every area of Quark.
 */
@ConfigurationProperties(QuarkProperties.PREFIX)
public class QuarkProperties {

    static final String PREFIX = "quark";

    /**
     * Whether to enable Quark. When false, no Quark bean is created.
     */
    private boolean enabled = true;

    /**
     * Where every area keeps its data unless the area says otherwise: memory, redis or postgres.
     */
    private QuarkBackend backend = QuarkBackend.MEMORY;

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public QuarkBackend getBackend() {
        return this.backend;
    }

    public void setBackend(QuarkBackend backend) {
        this.backend = backend;
    }
}
