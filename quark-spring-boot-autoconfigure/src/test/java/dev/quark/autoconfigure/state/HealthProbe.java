package dev.quark.autoconfigure.state;

import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.ApplicationContext;

/**
 * Reads a health contributor bean the way the health endpoint aggregates it: a composite is {@code DOWN} when
 * one of its components is.
 */
final class HealthProbe {

    private HealthProbe() {
    }

    static Status status(ApplicationContext context, String beanName) {
        return status(context.getBean(beanName, HealthContributor.class));
    }

    private static Status status(HealthContributor contributor) {
        if (contributor instanceof HealthIndicator indicator) {
            return indicator.health().getStatus();
        }
        return ((CompositeHealthContributor) contributor).stream()
            .map((entry) -> status(entry.contributor()))
            .filter(Status.DOWN::equals)
            .findFirst()
            .orElse(Status.UP);
    }
}
