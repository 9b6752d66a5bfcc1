package dev.quark.autoconfigure.durabletasks;

import java.util.Locale;

import dev.quark.autoconfigure.backend.BackendSelection;
import dev.quark.durabletasks.Activity;
import dev.quark.durabletasks.Orchestration;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.ConfigurableListableBeanFactory;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Fails start-up when durable tasks would run on a backend they do not support yet (Redis) and the application has
 * orchestrations or activities; without them it only logs nothing and defines no durable-task beans, so that an
 * application keeping its other areas on {@code quark.backend=redis} still starts.
 */
final class UnsupportedBackendCheck implements SmartInitializingSingleton {

    private final ConfigurableListableBeanFactory beanFactory;

    private final BackendSelection selection;

    UnsupportedBackendCheck(ConfigurableListableBeanFactory beanFactory, BackendSelection selection) {
        this.beanFactory = beanFactory;
        this.selection = selection;
    }

    @Override
    public void afterSingletonsInstantiated() {
        if (this.beanFactory.getBeanNamesForType(Orchestration.class, true, false).length > 0
                || this.beanFactory.getBeanNamesForType(Activity.class, true, false).length > 0) {
            throw new InvalidConfigurationPropertyValueException(this.selection.property(),
                    this.selection.backend().name().toLowerCase(Locale.ROOT),
                    "durable tasks run on memory or postgres so far, Redis is not built yet: set "
                            + "quark.durabletasks.backend=postgres (or memory)");
        }
    }
}
