package dev.quark.autoconfigure.jobs;

import java.lang.reflect.Method;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.RecurringMethodHandler;
import dev.quark.jobs.runtime.RegisteredJobHandler;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.BeansException;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.BeanFactoryAware;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.beans.factory.config.BeanPostProcessor;

/**
 * Makes sure no {@code @Recurring} bean method is silently left out. {@link RecurringMethods} finds the methods from
 * the beans' declared types, before the beans exist; a bean whose real class is only known once it is created (a
 * {@code @Bean} method declared to return an interface) has methods it cannot see. This post-processor looks at every
 * bean as it is created: a {@code @Recurring} method that cannot be called on the bean as created (a private method
 * of a class-proxied bean) fails that bean's creation; one that was not registered fails the start-up once all
 * singletons exist, or the creation of a bean created later (a lazy one), naming bean and method and what to change.
 */
final class RecurringMethodsCheck implements BeanPostProcessor, SmartInitializingSingleton, BeanFactoryAware {

    private final Map<Method, String> seen = new LinkedHashMap<>();

    private volatile boolean started;

    private @Nullable BeanFactory beanFactory;

    @Override
    public void setBeanFactory(BeanFactory beanFactory) throws BeansException {
        this.beanFactory = beanFactory;
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) throws BeansException {
        Set<Method> methods = RecurringMethods.methodsOf(AopUtils.getTargetClass(bean));
        for (Method method : methods) {
            try {
                AopUtils.selectInvocableMethod(method, bean.getClass());
            }
            catch (IllegalStateException ex) {
                throw new IllegalStateException("The @Recurring method " + method.getDeclaringClass().getName() + "."
                        + method.getName() + "() of bean '" + beanName + "' cannot be called on the bean's proxy ("
                        + ex.getMessage() + "): make it public or protected, or declare it on an interface the bean "
                        + "implements", ex);
            }
            synchronized (this.seen) {
                this.seen.putIfAbsent(method, beanName);
            }
        }
        if (this.started && !methods.isEmpty()) {
            check();
        }
        return bean;
    }

    @Override
    public void afterSingletonsInstantiated() {
        this.started = true;
        check();
    }

    private void check() {
        BeanFactory factory = this.beanFactory;
        JobHandlerRegistry registry = (factory != null)
                ? factory.getBeanProvider(JobHandlerRegistry.class).getIfAvailable() : null;
        if (registry == null) {
            return;
        }
        Set<Method> registered = registry.handlers().stream()
            .map(RegisteredJobHandler::handler)
            .filter(RecurringMethodHandler.class::isInstance)
            .map((handler) -> ((RecurringMethodHandler) handler).method())
            .collect(Collectors.toSet());
        synchronized (this.seen) {
            for (Map.Entry<Method, String> entry : this.seen.entrySet()) {
                if (!registered.contains(entry.getKey())) {
                    Method method = entry.getKey();
                    this.seen.remove(method);
                    throw new IllegalStateException("The @Recurring method " + method.getDeclaringClass().getName()
                            + "." + method.getName() + "() of bean '" + entry.getValue() + "' was not registered as a "
                            + "job: its bean's declared type does not show it (a @Bean method that returns an "
                            + "interface or a superclass). Declare the bean with its class as the type, for instance "
                            + "as the @Bean method's return type");
                }
            }
        }
    }
}
