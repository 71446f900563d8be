"""Packaging, read from settings.ini (nbdev's single source of project facts)."""
from configparser import ConfigParser
from setuptools import find_namespace_packages, setup

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
reqs = lambda key: cfg.get(key, '').split()

setup(
    name=cfg['lib_name'].replace('_', '-'), version=cfg['version'], description=cfg['description'],
    long_description=open('README.md', encoding='utf-8').read(), long_description_content_type='text/markdown',
    author=cfg['author'], author_email=cfg['author_email'], url=cfg['git_url'], license='Apache-2.0',
    keywords=cfg['keywords'], python_requires=f">={cfg['min_python']}",
    packages=find_namespace_packages(include=[cfg['lib_name'], cfg['lib_name'] + '.*']), include_package_data=True,
    package_data={cfg['lib_name'] + '.data': ['*.jsonl', '*.json', '*.md']},
    install_requires=reqs('requirements'),
    extras_require={'dev': reqs('dev_requirements'), 'notebook': reqs('notebook_requirements'),
                    'browser': reqs('browser_requirements'), 'harmony': reqs('harmony_requirements'),
                    'inspect': reqs('inspect_requirements'), 'serve': reqs('serve_requirements')},
    entry_points={'console_scripts': cfg['console_scripts'].split(), 'nbdev': [f"{cfg['lib_name']}={cfg['lib_name']}._modidx:d"],
                  'inspect_ai': [f"{cfg['lib_name']} = {cfg['lib_name']}.inspect_task"]},  # inspect eval survival_pressure/survivalbench
    classifiers=['Programming Language :: Python :: 3'],
    zip_safe=False,
)
